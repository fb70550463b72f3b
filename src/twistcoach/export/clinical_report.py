"""A student's clinical report as a PDF (ReportLab, pure Python), with matplotlib plots.

Rendered from a template: the wording is ``clinical_report.yaml`` beside this module, the
layout a ReportLab page template (a footer on every page) and the flowables below. The
report shows the plan and clearances, each session's held knee drop against its cap, pain
before, during and after, stops and their reasons, the trend over weeks, and the camera
place with the measured accuracy that applies (``accuracy.yaml``).

Unknown is shown as "not measured", never as 0; a sharp-pain report as "sharp", never as
10 (the pain plot marks a sharp-pain stop with a labelled line, not a point on the scale); a
pain score the person did not give as "not given". Caps come from the session's record (the
cap in force at each hold) and from planning's decision now; nothing here computes one, and
the plan leads with planning's verdict for today (the staff page's and FHIR's).

Dates are the student's own: each session's in the zone it was practised in, as the web
pages read them (``storage.progress.session_started``), and the period chooses by those
days; the report says which zone. Its text is drawn in DejaVu Sans (matplotlib's bundled
copy: wide coverage, nothing downloaded), and a letter the font lacks is written as its code
point (``[U+674E]``) with a line saying so, never as a silent box.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from twistcoach.export.accuracy import load_accuracy
from twistcoach.export.facts import PersonFacts, SessionFacts
from twistcoach.planning import PracticeDecision
from twistcoach.screening import VariantStatus, load_rules

NOT_MEASURED = "not measured"
#: The report's fonts (ReportLab names), registered from matplotlib's DejaVu Sans.
FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC = (
    "TwistcoachSans",
    "TwistcoachSans-Bold",
    "TwistcoachSans-Oblique",
    "TwistcoachSans-BoldOblique",
)
_FONT_FILES = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
    FONT_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}
#: Words through a translator (``Translator.text``); English as they are by default.
Say = Callable[[str], str]
#: The report's tables' column heads (translated where they are drawn).
PLAN_HEADS = ("variant", "allowed", "cap now", "screening cap", "why (rules)")
CLEARANCE_HEADS = ("by", "name", "date", "variants", "at most")
SESSION_HEADS = (
    "date",
    "variant",
    "held vs cap",
    "time held",
    "pain before",
    "during",
    "after",
    "ended",
)
TREND_HEADS = (
    "week",
    "sessions",
    "median held",
    "largest held",
    "pain change (mean)",
    "stops",
    "sharp",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sections(_Frozen):
    """Section headings."""

    plan: str
    clearances: str
    sessions: str
    trend: str
    camera: str


class ReportTemplate(_Frozen):
    """The validated wording of ``clinical_report.yaml``."""

    version: Literal[1]
    title: str
    subtitle: str
    intro: str
    sections: Sections
    plan_intro: str
    no_plan: str
    no_clearances: str
    no_sessions: str
    open_flags: str
    progression: str
    sessions_note: str
    camera: str
    footer: str


def load_template() -> ReportTemplate:
    """Read and validate the packaged ``export/clinical_report.yaml``."""
    from twistcoach.rulefiles import load_packaged

    return load_packaged("export/clinical_report.yaml", ReportTemplate.model_validate)


# --------------------------------------------------------------------------- figures


def _deg(value: float | None, _t: Say = str) -> str:
    return _t(NOT_MEASURED) if value is None else f"{value:.1f}°"


def _pain(value: int | None, _t: Say = str) -> str:
    """A pain score, or "not given" (the recorder stores none the person did not give)."""
    return _t("not given") if value is None else str(value)


def _local(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return moment.astimezone(tz)


def _day(s: SessionFacts) -> float:
    """Matplotlib's date number (days since 1970-01-01) of the session's start on the
    student's own clock (:attr:`SessionFacts.local_start`)."""
    wall = s.local_start.replace(tzinfo=None)
    return (wall - dt.datetime(1970, 1, 1)).total_seconds() / 86400.0


def register_fonts() -> None:
    """Register the report's fonts with ReportLab (once): DejaVu Sans as matplotlib ships
    it, so the report needs no system font and nothing downloaded (Helvetica, the PDF's
    built-in font, drew "Zoë 李" as "Zoë ■")."""
    from pathlib import Path

    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    for bold, italic, name in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT_ITALIC)):
        addMapping(FONT, bold, italic, name)
    addMapping(FONT, 1, 1, FONT_BOLD_ITALIC)


def drawable(text: str, missing: set[str] | None = None) -> str:
    """``text`` with each character the report's font cannot draw written as its code
    point (``李`` -> ``[U+674E]``), so nothing turns into a silent box; those characters
    are added to ``missing``."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    cmap = pdfmetrics.getFont(FONT).face.charToGlyph
    out = []
    for ch in text:
        if ord(ch) in cmap or ch in "\n\r\t":
            out.append(ch)
        else:
            out.append(f"[U+{ord(ch):04X}]")
            if missing is not None:
                missing.add(ch)
    return "".join(out)


def held_text(s: SessionFacts, _t: Say = str) -> str:
    """The held knee drop per side against the cap, e.g. ``R 31.5° / 45°; L not measured``."""
    parts = []
    for hold in s.sides:
        cap = f" / {hold.cap_deg:g}°" if hold.cap_deg is not None else ""
        side = _t(hold.side[0].upper())  # R or L (D or I in Spanish)
        parts.append(f"{side} {_deg(hold.knee_drop_deg, _t)}{cap}")
    return "; ".join(parts) or _t("no hold")


def pain_text(s: SessionFacts, _t: Say = str) -> tuple[str, str, str]:
    """Pain before, during (reports in order; "sharp" for sharp pain) and after ("not
    given" for a score the person did not give: never the last pain said)."""
    head = s.summary.session
    during = ", ".join(_t(p.text) if p.sharp else p.text for p in s.pains) or "-"
    return _pain(head.start_pain, _t), during, _pain(head.end_pain, _t)


@dataclass(frozen=True)
class WeekRow:
    """One ISO week of sessions (the student's own calendar)."""

    week: str
    sessions: int
    median_held_deg: float | None
    max_held_deg: float | None
    mean_pain_change: float | None
    stops: int
    sharp: int


def weekly_trend(sessions: Sequence[SessionFacts]) -> list[WeekRow]:
    """Sessions grouped by ISO week of the student's own calendar: held drop (measured holds
    only), the mean change of pain from before to after (sessions with both scores given
    only; None when none), stops and sharp-pain stops."""
    weeks: dict[tuple[int, int], list[SessionFacts]] = {}
    for s in sessions:
        year, week, _ = s.local_start.isocalendar()
        weeks.setdefault((year, week), []).append(s)
    rows = []
    for (year, week), group in sorted(weeks.items()):
        held = [h.knee_drop_deg for s in group for h in s.sides if h.knee_drop_deg is not None]
        changes = [
            s.summary.session.end_pain - s.summary.session.start_pain
            for s in group
            if s.summary.session.end_pain is not None and s.summary.session.start_pain is not None
        ]
        rows.append(
            WeekRow(
                week=f"{year}-W{week:02d}",
                sessions=len(group),
                median_held_deg=statistics.median(held) if held else None,
                max_held_deg=max(held) if held else None,
                mean_pain_change=statistics.fmean(changes) if changes else None,
                stops=sum(1 for s in group if s.stopped),
                sharp=sum(1 for s in group if s.sharp),
            )
        )
    return rows


def _date_axis(ax: Any) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def depth_plot(sessions: Sequence[SessionFacts], _t: Say = str) -> bytes:
    """PNG: each hold's median knee drop (right ●, left ▲) and its cap (–) by session date;
    unmeasured holds are marked "not measured" at the bottom, never plotted as 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 2.6))
    for side, marker, colour in (("right", "o", "tab:blue"), ("left", "^", "tab:green")):
        xs = [
            _day(s)
            for s in sessions
            for h in s.sides
            if h.side == side and h.knee_drop_deg is not None
        ]
        ys = [
            h.knee_drop_deg
            for s in sessions
            for h in s.sides
            if h.side == side and h.knee_drop_deg is not None
        ]
        ax.plot(xs, ys, marker, color=colour, label=_t("held, {side}").format(side=_t(side)))
    caps = [(_day(s), h.cap_deg) for s in sessions for h in s.sides if h.cap_deg]
    if caps:
        ax.plot(
            [c[0] for c in caps],
            [c[1] for c in caps],
            "_",
            color="tab:red",
            ms=18,
            mew=2,
            label=_t("cap"),
        )
    unmeasured = [_day(s) for s in sessions for h in s.sides if h.knee_drop_deg is None]
    for when in unmeasured:
        ax.annotate(
            _t(NOT_MEASURED),
            (when, 1),
            fontsize=6,
            rotation=90,
            color="grey",
            ha="center",
            va="bottom",
        )
    ax.set_ylim(0, 90)
    ax.set_ylabel(_t("knee drop (deg)"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncols=3)
    _date_axis(ax)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


def pain_plot(sessions: Sequence[SessionFacts], _t: Say = str) -> bytes:
    """PNG: pain before (○) and after (●) each session, 0-10 (a score not given has no
    point); a sharp-pain stop is a red dashed line labelled "sharp", not a point on the
    scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 2.2))
    before = [(_day(s), s.summary.session.start_pain) for s in sessions]
    after = [(_day(s), s.summary.session.end_pain) for s in sessions]
    for points, style, label in ((before, "o", _t("before")), (after, "s", _t("after"))):
        known = [(x, y) for x, y in points if y is not None]
        ax.plot(
            [x for x, _ in known],
            [y for _, y in known],
            style,
            mfc="none" if style == "o" else None,  # before: open markers
            color="tab:purple",
            label=label,
        )
    for s in sessions:
        if s.sharp:
            when = _day(s)
            ax.axvline(when, color="tab:red", ls="--", lw=1)
            ax.annotate(_t("sharp"), (when, 10), color="tab:red", fontsize=7, ha="left", va="top")
    ax.set_ylim(-0.5, 10.5)
    ax.set_ylabel(_t("pain 0-10"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncols=2)
    _date_axis(ax)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


# --------------------------------------------------------------------------- the PDF


def _period_text(period: tuple[dt.date | None, dt.date | None], _t: Say = str) -> str:
    first, last = (None if day is None else day.isoformat() for day in period)
    if first and last:
        return _t("{first} to {last}").format(first=first, last=last)
    if first:
        return _t("from {first}").format(first=first)
    if last:
        return _t("up to {last}").format(last=last)
    return _t("all sessions")


def render_report(
    facts: PersonFacts,
    *,
    period: tuple[dt.date | None, dt.date | None] = (None, None),
    lang: str = "en",
) -> bytes:
    """The clinical report of ``facts``, a PDF document's bytes (the callers write it where
    they must: a file the CLI checked, an HTTP response).

    Parameters
    ----------
    facts
        From :func:`twistcoach.export.facts.gather` (its sessions are the period's).
    period
        The chosen first and last day of the student's calendar (for the heading; None for
        open ends; :func:`twistcoach.export.facts.gather` chose the sessions by them).
    lang
        The report's language (``twistcoach.i18n``: the command line's ``--lang``, the web
        page's language). Rule texts, variant names and words come from the catalogue; the
        sources, names and notes people typed stay as they are.

    Notes
    -----
    The dates are the student's own (each session's zone, :attr:`PersonFacts.time_zone`
    for the rest), never a zone a caller picks.
    """
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        Image,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus.flowables import Flowable

    from twistcoach import i18n

    _t: Say = i18n.translator(lang).text
    tpl = load_template()
    accuracy = load_accuracy()
    register_fonts()
    styles = getSampleStyleSheet()
    body, small, h1, h2, h4 = (
        styles["BodyText"],
        styles["BodyText"].clone("small"),
        styles["Title"],
        styles["Heading2"],
        styles["Heading4"],
    )
    # The sample styles' sizes and spacing, in a font that draws every language's letters.
    for style in (body, small):
        style.fontName = FONT
    h1.fontName = h2.fontName = FONT_BOLD
    h4.fontName = FONT_BOLD_ITALIC
    small.fontSize, small.leading = 7.5, 9
    name = facts.person.name
    tz = facts.time_zone
    made = _local(facts.now, tz).strftime("%Y-%m-%d %H:%M")
    missing: set[str] = set()

    def p(text: str, style: Any = body) -> Paragraph:
        return Paragraph(escape(drawable(text, missing)), style)

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        cells = [[p(c, small) for c in row] for row in rows]
        # Room above each table: its ruled head touched the line of text before it.
        t = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1, spaceBefore=1.5 * mm)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTNAME", (0, 0), (-1, -1), FONT),  # not the built-in Helvetica
                ]
            )
        )
        return t

    def heads(*names: str) -> list[str]:
        return [_t(n) for n in names]

    story: list[Flowable] = [
        p(_t(tpl.title), h1),
        p(_t(tpl.subtitle).format(name=name, period=_period_text(period, _t), made=made)),
        p(zone_text(facts, _t), small),
        Spacer(1, 3 * mm),
        p(_t(tpl.intro), small),
        p(_t(tpl.sections.plan), h2),
    ]
    decision = facts.decision
    if decision.plan is None:
        story.append(p(_t(tpl.no_plan)))
    else:
        # Planning's verdict for today first (the staff page's headline, FHIR's on-hold):
        # "Screening status: ready." led a report whose twists were all shut today.
        story.append(p(today_text(decision, _t), h4))
        status = _t(decision.plan.status.value.replace("_", " "))  # "see clinician first"
        story.append(p(_t(tpl.plan_intro).format(status=status, made=made), small))
        rules = load_rules()
        # Literal calls, so that the catalogue's extraction finds each verdict's words.
        verdict_words = {"yes": _t("yes"), "not now": _t("not now"), "no": _t("no")}
        rows = [heads(*PLAN_HEADS)]
        for v in decision.variants:
            verdict, refusal = plan_verdict(decision, v.variant_id)
            # Each rule in words (its title), never its id; a refused twist first says
            # planning's own reason, the words the practice start refuses it with.
            for reason in v.reasons:
                if refusal and rules.label(reason) != reason.text:
                    # A screening rule's sentences are long: its title says it after them,
                    # so the cell keeps planning's own words.
                    refusal = " ".join(refusal.replace(reason.text, " ").split())
            said = _t(refusal) if refusal else ""
            why = [w for w in dict.fromkeys(_t(rules.label(r)) for r in v.reasons) if w not in said]
            rows.append(
                [
                    _t(_variant_name(v.variant_id)),
                    verdict_words[verdict],
                    f"{v.cap_deg:g}°" if v.cap_deg is not None else "-",
                    f"{v.plan_cap_deg:g}°" if v.plan_cap_deg is not None else "-",
                    " ".join(w for w in (said, "; ".join(why)) if w),
                ]
            )
        story.append(table(rows, [45, 22, 18, 22, 63]))
    for reason in decision.reasons:
        story.append(p(f"{_t(reason.text)} ({reason.source})", small))
    if decision.open_flags:
        story.append(p(_t(tpl.open_flags), h4))
        for flag in decision.open_flags:
            story.append(p(f"• {_t(flag.reason.text)}", small))
    if decision.progression is not None:
        text = " ".join(_t(r.text) for r in decision.progression.reasons)
        story.append(p(_t(tpl.progression).format(text=text), small))

    story.append(p(_t(tpl.sections.clearances), h2))
    clearance_rows = [heads(*CLEARANCE_HEADS)]
    latest = next((r.intake for r in reversed(facts.intakes) if r.intake is not None), None)
    for c in latest.clearances if latest is not None else ():
        clearance_rows.append(
            [
                _t(c.by.value),
                c.name,
                c.date.isoformat(),
                i18n.join_words((_t(_variant_name(v)) for v in c.variants), lang),
                _limits(c.max_knee_drop_deg, c.max_trunk_rotation_deg, _t),
            ]
        )
    for r in facts.clearances:
        clearance_rows.append(
            [
                _t(r.by_role),
                r.name,
                r.date.isoformat(),
                i18n.join_words((_t(_variant_name(v)) for v in r.variants), lang),
                _limits(r.max_knee_drop_deg, r.max_trunk_rotation_deg, _t),
            ]
        )
    if len(clearance_rows) > 1:
        story.append(table(clearance_rows, [20, 40, 22, 68, 20]))
    else:
        story.append(p(_t(tpl.no_clearances)))
    for review in facts.reviews:
        story.append(
            p(
                _t("Reviewed by {name} ({role}) on {date}: {note}").format(
                    name=review.by_name,
                    role=_t(review.by_role),
                    date=f"{_local(review.at, tz):%Y-%m-%d}",
                    note=review.note or _t("no note"),
                ),
                small,
            )
        )

    story.append(p(_t(tpl.sections.sessions), h2))
    sessions = facts.sessions
    if not sessions:
        story.append(p(_t(tpl.no_sessions)))
    else:
        story.append(p(_t(tpl.sessions_note), small))
        rows = [["#", *heads(*SESSION_HEADS)]]
        for s in sessions:
            before, during, after = pain_text(s, _t)
            held_s = " / ".join(f"{h.held_s:.0f} s" for h in s.sides) or "-"
            rows.append(
                [
                    str(s.session_id),
                    f"{s.local_start:%Y-%m-%d %H:%M}",
                    _t(_variant_name(s.summary.session.variant_id)),
                    held_text(s, _t),
                    held_s,
                    before,
                    during,
                    after,
                    _t(s.outcome_text),
                ]
            )
        # Wide enough, in DejaVu Sans at 7.5 pt, for the Spanish heads and the longest
        # single words ("mantenido", "punzante", "indicado", "interrumpida"): a word too
        # long for its column is split, not wrapped.
        story.append(table(rows, [8, 21, 23, 25, 19, 13, 17, 16, 28]))
        story.append(Spacer(1, 2 * mm))
        depth, pains = depth_plot(sessions, _t), pain_plot(sessions, _t)
        story.append(Image(io.BytesIO(depth), width=170 * mm, height=63 * mm))
        story.append(Image(io.BytesIO(pains), width=170 * mm, height=53 * mm))

        story.append(p(_t(tpl.sections.trend), h2))
        rows = [heads(*TREND_HEADS)]
        for w in weekly_trend(sessions):
            rows.append(
                [
                    w.week,
                    str(w.sessions),
                    _deg(w.median_held_deg, _t),
                    _deg(w.max_held_deg, _t),
                    # No session of the week with both scores given: nothing to compare.
                    _pain(None, _t) if w.mean_pain_change is None else f"{w.mean_pain_change:+.1f}",
                    str(w.stops),
                    str(w.sharp),
                ]
            )
        story.append(table(rows, [24, 18, 26, 26, 32, 16, 16]))

    story.append(p(_t(tpl.sections.camera), h2))
    bodies = sorted({_t(s.body_model or "not recorded") for s in sessions}) or ["-"]
    story.append(
        p(
            _t(tpl.camera).format(
                place=_t(accuracy.place.name),
                description=_t(accuracy.place.description),
                pauses=sum(s.camera_pauses for s in sessions),
                bodies=", ".join(bodies),
            )
        )
    )
    # One paragraph per figures that apply: no body model recorded and the neutral model
    # quote the same figures, and their paragraph was printed twice.
    notes = (
        accuracy.note(model, _t) for model in sorted({s.body_model for s in sessions}, key=str)
    )
    for note in dict.fromkeys(notes) or [accuracy.note(None, _t)]:
        story.append(p(note, small))
    if missing:
        example = min(missing)
        said = _t(
            "Some letters cannot be drawn in this report's font; each is written as its "
            "Unicode code point instead, for example {example}."
        ).format(example=f"[U+{ord(example):04X}]")
        story.insert(3, p(said, small))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        line = drawable(_t(tpl.footer).format(name=name, page=doc.page))
        canvas.drawString(15 * mm, 10 * mm, line)
        canvas.restoreState()

    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=_t(tpl.title),
        author="twistcoach",
        subject=name,
        initialFontName=FONT,  # else each page also declares the built-in Helvetica
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])
    doc.build(story)
    return out.getvalue()


def today_text(decision: PracticeDecision, _t: Say = str) -> str:
    """Planning's verdict for today, the line the plan leads with: the twists that may be
    practised now (:func:`plan_verdict`'s "yes", the practice start's rule), or none. The
    staff page heads the student the same way and FHIR puts the plan on hold: screening's
    "ready" alone read as leave to practise on a day of a sharp-pain lock or an open flag.
    """
    now = [v for v in decision.variants if plan_verdict(decision, v.variant_id)[0] == "yes"]
    if not now:
        return _t("Today, by planning's decision: no twist may be practised now.")
    return _t(
        "Today, by planning's decision, the twists that may be practised now: {twists}."
    ).format(twists="; ".join(_t(_variant_name(v.variant_id)) for v in now))


def zone_text(facts: PersonFacts, _t: Say = str) -> str:
    """Which clock the report's dates and times are on: the student's own, each session in
    the zone it was practised in (as the web pages read them), named; this computer's
    where a session recorded none, said so."""
    from twistcoach.export.facts import zone_name
    from twistcoach.storage.progress import local_zone

    own = zone_name(facts.time_zone)
    if facts.zone_recorded:
        said = [_t("Dates and times are on the student's own clock ({zone}).").format(zone=own)]
    else:
        said = [
            _t(
                "Dates and times are on this computer's clock ({zone}): the student's "
                "sessions did not record their time zone."
            ).format(zone=own)
        ]
    elsewhere = [z for z in dict.fromkeys(zone_name(s.zone) for s in facts.sessions) if z != own]
    if elsewhere:
        said.append(
            _t("Sessions practised elsewhere are dated on that clock ({zones}).").format(
                zones=", ".join(elsewhere)
            )
        )
    if facts.zone_recorded and any(not s.zone_stored for s in facts.sessions):
        said.append(
            _t("Where a session did not record its zone, this computer's is used ({zone}).").format(
                zone=zone_name(local_zone())
            )
        )
    return " ".join(said)


def plan_verdict(decision: PracticeDecision, variant_id: str) -> tuple[str, str | None]:
    """The report's "allowed" cell of a twist and, when refused, planning's plain reason.

    The verdict is planning's decision, the one the practice start follows (a session
    starts only when the twist is allowed and has a cap now): ``yes``; ``not now`` when
    screening allows it but planning refuses it today (a clinician's plan that leaves it
    out, a sharp-pain lock, a check-in first, a flag waiting for review); ``no`` when
    screening does not allow it (yet). The report printed screening's status for a refused
    twist, so a twist the care plan left out read "allowed".
    """
    permission = decision.permission(variant_id)
    if permission.allowed and permission.cap_deg is not None:
        return "yes", None
    refusal = decision.refusal(variant_id) or "not allowed now"
    if permission.plan_status is VariantStatus.ALLOWED:
        return "not now", refusal
    return "no", refusal


def _limits(knee_drop_deg: float | None, rotation_deg: float | None, _t: Say = str) -> str:
    """A clearance's limits in words, each in its own measure ("knee drop 60°, trunk
    rotation 30°"; "-" for none): the report gave the knee drop alone, so a seated twist's
    limit was missing and the knee drop's stood for it."""
    parts = [
        f"{_t(name)} {deg:g}°"
        for name, deg in (("knee drop", knee_drop_deg), ("trunk rotation", rotation_deg))
        if deg is not None
    ]
    return ", ".join(parts) or "-"


def _variant_name(variant_id: str) -> str:
    from twistcoach.poses.loader import load_library

    return load_library().name_of(variant_id)
