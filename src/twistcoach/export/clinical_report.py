"""A student's clinical report as a PDF (ReportLab, pure Python), with matplotlib plots.

Rendered from a template: the wording is ``clinical_report.yaml`` beside this module, the
layout a ReportLab page template (a footer on every page) and the flowables below. The
report shows the plan and clearances, each session's held knee drop against its cap, pain
before, during and after, stops and their reasons, the trend over weeks, and the camera
place with the measured accuracy that applies (``accuracy.yaml``).

Unknown is shown as "not measured", never as 0; a sharp-pain report as "sharp", never as
10 (the pain plot marks a sharp-pain stop with a labelled line, not a point on the scale).
Caps come from the session's record (the cap in force at each hold) and from planning's
decision now; nothing here computes one.
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


def _pain(value: int | None) -> str:
    return "-" if value is None else str(value)


def _local(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return moment.astimezone(tz)


def _day(moment: dt.datetime, tz: dt.tzinfo) -> float:
    """Matplotlib's date number (days since 1970-01-01) of the local wall-clock time."""
    wall = moment.astimezone(tz).replace(tzinfo=None)
    return (wall - dt.datetime(1970, 1, 1)).total_seconds() / 86400.0


def held_text(s: SessionFacts, _t: Say = str) -> str:
    """The held knee drop per side against the cap, e.g. ``R 31.5° / 45°; L not measured``."""
    parts = []
    for hold in s.sides:
        cap = f" / {hold.cap_deg:g}°" if hold.cap_deg is not None else ""
        side = _t(hold.side[0].upper())  # R or L (D or I in Spanish)
        parts.append(f"{side} {_deg(hold.knee_drop_deg, _t)}{cap}")
    return "; ".join(parts) or _t("no hold")


def pain_text(s: SessionFacts, _t: Say = str) -> tuple[str, str, str]:
    """Pain before, during (reports in order; "sharp" for sharp pain) and after."""
    head = s.summary.session
    during = ", ".join(_t(p.text) if p.sharp else p.text for p in s.pains) or "-"
    return _pain(head.start_pain), during, _pain(head.end_pain)


@dataclass(frozen=True)
class WeekRow:
    """One ISO week of sessions (local time)."""

    week: str
    sessions: int
    median_held_deg: float | None
    max_held_deg: float | None
    mean_pain_change: float | None
    stops: int
    sharp: int


def weekly_trend(sessions: Sequence[SessionFacts], tz: dt.tzinfo) -> list[WeekRow]:
    """Sessions grouped by ISO week: held drop (measured holds only), the mean change of
    pain from before to after, stops and sharp-pain stops."""
    weeks: dict[tuple[int, int], list[SessionFacts]] = {}
    for s in sessions:
        year, week, _ = _local(s.started_at, tz).isocalendar()
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


def depth_plot(sessions: Sequence[SessionFacts], tz: dt.tzinfo, _t: Say = str) -> bytes:
    """PNG: each hold's median knee drop (right ●, left ▲) and its cap (–) by session date;
    unmeasured holds are marked "not measured" at the bottom, never plotted as 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 2.6))
    for side, marker, colour in (("right", "o", "tab:blue"), ("left", "^", "tab:green")):
        xs = [
            _day(s.started_at, tz)
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
    caps = [(_day(s.started_at, tz), h.cap_deg) for s in sessions for h in s.sides if h.cap_deg]
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
    unmeasured = [
        _day(s.started_at, tz) for s in sessions for h in s.sides if h.knee_drop_deg is None
    ]
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


def pain_plot(sessions: Sequence[SessionFacts], tz: dt.tzinfo, _t: Say = str) -> bytes:
    """PNG: pain before (○) and after (●) each session, 0-10; a sharp-pain stop is a red
    dashed line labelled "sharp", not a point on the scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 2.2))
    before = [(_day(s.started_at, tz), s.summary.session.start_pain) for s in sessions]
    after = [(_day(s.started_at, tz), s.summary.session.end_pain) for s in sessions]
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
            when = _day(s.started_at, tz)
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
    tz: dt.tzinfo = dt.UTC,
    lang: str = "en",
) -> bytes:
    """The clinical report of ``facts``, a PDF document's bytes (the callers write it where
    they must: a file the CLI checked, an HTTP response).

    Parameters
    ----------
    facts
        From :func:`twistcoach.export.facts.gather` (its sessions are the period's).
    period
        The chosen first and last day (for the heading; None for open ends).
    tz
        The time zone dates are shown in.
    lang
        The report's language (``twistcoach.i18n``: the command line's ``--lang``, the web
        page's language). Rule texts, variant names and words come from the catalogue; the
        sources, names and notes people typed stay as they are.
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
    styles = getSampleStyleSheet()
    body, small, h1, h2 = (
        styles["BodyText"],
        styles["BodyText"].clone("small"),
        styles["Title"],
        styles["Heading2"],
    )
    small.fontSize, small.leading = 7.5, 9
    name = facts.person.name
    made = _local(facts.now, tz).strftime("%Y-%m-%d %H:%M")

    def p(text: str, style: Any = body) -> Paragraph:
        return Paragraph(escape(text), style)

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        cells = [[p(c, small) for c in row] for row in rows]
        t = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    def heads(*names: str) -> list[str]:
        return [_t(n) for n in names]

    story: list[Flowable] = [
        p(_t(tpl.title), h1),
        p(_t(tpl.subtitle).format(name=name, period=_period_text(period, _t), made=made)),
        Spacer(1, 3 * mm),
        p(_t(tpl.intro), small),
        p(_t(tpl.sections.plan), h2),
    ]
    decision = facts.decision
    if decision.plan is None:
        story.append(p(_t(tpl.no_plan)))
    else:
        status = _t(decision.plan.status.value.replace("_", " "))  # "see clinician first"
        story.append(p(_t(tpl.plan_intro).format(status=status, made=made)))
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
        story.append(p(_t(tpl.open_flags), styles["Heading4"]))
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
                ", ".join(_t(_variant_name(v)) for v in c.variants),
                _limits(c.max_knee_drop_deg, c.max_trunk_rotation_deg, _t),
            ]
        )
    for r in facts.clearances:
        clearance_rows.append(
            [
                _t(r.by_role),
                r.name,
                r.date.isoformat(),
                ", ".join(_t(_variant_name(v)) for v in r.variants),
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
                    f"{_local(s.started_at, tz):%Y-%m-%d %H:%M}",
                    _t(_variant_name(s.summary.session.variant_id)),
                    held_text(s, _t),
                    held_s,
                    before,
                    during,
                    after,
                    _t(s.outcome_text),
                ]
            )
        # Wide enough for the Spanish heads and "punzante" (a word is split, not wrapped).
        story.append(table(rows, [8, 22, 24, 31, 18, 12, 15, 15, 25]))
        story.append(Spacer(1, 2 * mm))
        depth, pains = depth_plot(sessions, tz, _t), pain_plot(sessions, tz, _t)
        story.append(Image(io.BytesIO(depth), width=170 * mm, height=63 * mm))
        story.append(Image(io.BytesIO(pains), width=170 * mm, height=53 * mm))

        story.append(p(_t(tpl.sections.trend), h2))
        rows = [heads(*TREND_HEADS)]
        for w in weekly_trend(sessions, tz):
            rows.append(
                [
                    w.week,
                    str(w.sessions),
                    _deg(w.median_held_deg, _t),
                    _deg(w.max_held_deg, _t),
                    "-" if w.mean_pain_change is None else f"{w.mean_pain_change:+.1f}",
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
    for model in sorted({s.body_model for s in sessions}, key=str) or [None]:
        story.append(p(accuracy.note(model, _t), small))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(15 * mm, 10 * mm, _t(tpl.footer).format(name=name, page=doc.page))
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
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=footer)])
    doc.build(story)
    return out.getvalue()


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
