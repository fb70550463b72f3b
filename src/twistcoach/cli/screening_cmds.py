"""Commands for the pose library, the intake and the readiness plan.

``twistcoach poses [ID] [--json]``, ``twistcoach plan INTAKE [--json]``,
``twistcoach intake --out FILE`` and ``twistcoach demo``. Bad input (unknown pose, invalid
intake file) prints a clear message and exits with code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from twistcoach.cli.answers import ask_word, ask_yes_no
from twistcoach.cli.output import OutputError, check_output, print_error, write_output
from twistcoach.i18n import current_language, join_words, t
from twistcoach.intake import (
    CLEARANCE_KNEE_DROP_DEG,
    CLEARANCE_ROTATION_DEG,
    CONDITION_DESCRIPTIONS,
    JSON_SUFFIXES,
    RED_FLAG_QUESTIONS,
    SURGERY_CONDITIONS,
    YAML_SUFFIXES,
    Activity,
    ClearanceBy,
    Condition,
    Intake,
    IntakeError,
    LegSymptoms,
    RedFlag,
    intake_text,
    latest_today,
    load_intake,
    parse_intake,
    parse_intake_text,
)
from twistcoach.planning import STATUS_HEADLINES, PracticeDecision
from twistcoach.poses import PoseLibrary, Variant, load_library
from twistcoach.poses.schema import RangeKind
from twistcoach.screening import (
    PlanStatus,
    ReadinessPlan,
    RuleSet,
    ScreeningError,
    VariantStatus,
    load_rules,
    screen,
)

DEMO_PACKAGE = "twistcoach.demo"
DEMO_FILE = "demo_intake.yaml"

#: The headline's colour by :attr:`PracticeDecision.headline_status` (the words are
#: planning's, ``planning.STATUS_HEADLINES``: one table for the command line and the web).
_STATUS_STYLE = {
    "ready": "bold green",
    "not_now": "bold yellow",
    "rest_today": "bold yellow",
    "see_clinician_first": "bold yellow",
    "seek_care_now": "bold red",
}
_VARIANT_STYLE = {
    VariantStatus.ALLOWED: "green",
    VariantStatus.NEEDS_CLEARANCE: "yellow",
    VariantStatus.NOT_ALLOWED: "red",
}

E = TypeVar("E", bound=StrEnum)


def plan_headline(status: PlanStatus) -> str:
    """A plan's headline for its status, in English (the catalogue's id): what ``plan``
    prints at the top, and ``progress`` repeats when the plan is not ready."""
    return STATUS_HEADLINES[status.value]


def care_lines(plan: ReadinessPlan | None, rules: RuleSet | None = None) -> list[str]:
    """What a plan that is not ready says to do, in the chosen language: its headline, then
    its own advice (seek care, see a clinician; not the general advice on practising).
    Empty for a ready plan or none."""
    if plan is None or plan.status is PlanStatus.READY:
        return []
    general = set((load_rules() if rules is None else rules).general_advice)
    lines = [t(plan_headline(plan.status))]
    lines += [f"  • {t(line)}" for line in plan.advice if line not in general]
    return lines


def _console() -> Console:
    # Built per call so that it writes to whatever stdout is current (tests swap it).
    return Console(highlight=False, soft_wrap=False)


def _fail(message: str) -> NoReturn:
    """Print a clear error on stderr and exit with code 2 (bad input): the command line's
    one error line (plain text: the message's own brackets, "e.g. [supine_twist_supported]",
    are words, never Rich markup)."""
    print_error(message)
    raise typer.Exit(code=2)


def _joined(items: Iterable[str]) -> str:
    """Words already in the command line's language, joined in it ("A, B y C")."""
    return join_words(items, current_language())


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def render_plan(
    plan: ReadinessPlan,
    library: PoseLibrary,
    console: Console,
    rules: RuleSet | None = None,
    today: PracticeDecision | None = None,
) -> None:
    """Print a plan: a table of variants with short reasons, then every reason in full.
    With ``today`` (a stored person's decision), a ready plan on a day that allows no twist
    is headed so, as the web's plan page: it said "Ready" during a sharp-pain lock."""
    rules = load_rules() if rules is None else rules
    titles = {rule.id: rule.title for rule in rules.rules}
    status = (today.headline_status if today is not None else None) or plan.status.value
    console.print(
        Panel(t(STATUS_HEADLINES[status]), title=t("Your plan"), style=_STATUS_STYLE[status])
    )
    table = Table(show_lines=True, pad_edge=False)
    # Each twist by its name only: its id is for --json (and --variant takes the name).
    # Widths are set here because Rich crops a table whose column minimums do not fit: at
    # 80 columns the Twist column gets 22 characters and every column wraps its words
    # (never cut with an ellipsis).
    names = {v.id: t(library.name_of(v.id)) for v in library}
    name_width = max(len(name) for name in names.values())
    rest = console.width - 14 - 30  # borders and padding, then Status, How far, Props
    twist_width = max(12, min(name_width, rest - 14))
    table.add_column(t("Twist"), overflow="fold", width=twist_width)
    table.add_column(t("Status"), width=11)
    table.add_column(t("How far"), width=11)
    table.add_column(t("Props"), width=8)
    table.add_column(t("Why (short)"), width=max(8, rest - twist_width))
    for decision in plan.variants:
        variant = library.get(decision.id)
        if decision.range is not None:
            # The cap in the variant's own measure: the knee drop (supine) or the chest
            # turned against the hips (seated, standing).
            what = t("knee drop") if variant.family.has_knee_drop else t("trunk turn")
            cap = t("{cap}° of ~{full}°").format(
                cap=f"{decision.range.max_deg:g}", full=f"{variant.full_range_deg:g}"
            )
            cap += f"\n{what}"
        else:
            cap = "-"
        labels: list[str] = []
        for reason in decision.reasons:
            label = rules.label(reason)
            if t(label) not in labels:
                labels.append(t(label))
        table.add_row(
            escape(names[decision.id]),
            f"[{_VARIANT_STYLE[decision.status]}]{t(decision.status.value.replace('_', ' '))}[/]",
            cap,
            _joined(t(p.value) for p in decision.props) or "-",
            "\n".join(f"• {escape(label)}" for label in labels),
        )
    console.print(table)
    console.print(f"[bold]{t('Why, in plain words')}[/]")
    shown: set[str] = set()
    for decision in plan.variants:
        for reason in decision.reasons:
            # A rule is explained once in its own words (its position's words on a seated or
            # standing twist); engine notes are specific.
            text = (
                rules.rule(reason.rule).text_for(decision.family)
                if reason.rule in titles
                else reason.text
            )
            if text in shown:
                continue
            shown.add(text)
            # The rule's title, not its id: people never read internal ids (--json has them).
            rule = f"{t(titles[reason.rule])}; " if reason.rule in titles else ""
            # Escaped: a reason names people (a clearance's giver), whose "[/b]" is no markup.
            said = escape(f"{rule}{reason.source}")
            console.print(f"  • {escape(t(text))} [dim]({said})[/]")
    if plan.advice:
        console.print(f"[bold]{t('Advice')}[/]")
        for line in plan.advice:
            console.print(f"  • {escape(t(line))}")
    footer = t(
        "This is not medical advice. The rules and their sources are listed in "
        "docs/screening.md for a clinician to review."
    )
    console.print(f"[dim]{footer}[/]")


def range_words(variant: Variant) -> str:
    """How far a variant goes, in words in the chosen language, with its own cap in its own
    measure: "partial, up to 45° of ~90° knee drop"; a seated or standing twist by its cap
    alone ("up to 27° of ~45° trunk rotation"; the library's ``not_measured`` means only
    that it has no knee drop)."""
    if variant.family.has_knee_drop:
        template = t("up to {cap}° of ~{full}° knee drop")
    else:
        template = t("up to {cap}° of ~{full}° trunk rotation")
    cap = template.format(cap=f"{variant.default_max_deg:g}", full=f"{variant.full_range_deg:g}")
    kinds = {RangeKind.SUPPORTED: t("supported"), RangeKind.PARTIAL: t("partial")}
    if variant.range is RangeKind.NOT_MEASURED:
        return cap
    return f"{kinds.get(variant.range, t('full'))}, {cap}"


def render_variant(variant: Variant, console: Console, library: PoseLibrary) -> None:
    """Print one variant in full, in the chosen language and in words (no ids: ``--json``
    has them): its names, how far and how long, the cues and when the coach says each."""
    from twistcoach.wording import cue_situation_words, pose_feature_words

    name = t(library.name_of(variant.id))
    order = t("Order: {n} of {total}, gentlest first").format(
        n=library.ids.index(variant.id) + 1, total=len(library)
    )
    lines = [
        f"[bold]{escape(name)}[/] ({variant.sanskrit_name})",
        order,
        f"{t('position:')} {t(variant.position)}",
        f"{t('range:')} {range_words(variant)}",
        t("hold: {seconds} s per side").format(seconds=f"{variant.default_hold_s:g}")
        + f"   {t('sides:')} "
        + _joined(t(s.value) for s in variant.sides),
        f"{t('props:')} " + (_joined(t(p.value) for p in variant.props) or t("none")),
        f"{t('what the safety rules look at:')} "
        + "; ".join(t(pose_feature_words(tag)) for tag in variant.contraindication_tags),
    ]
    console.print(Panel("\n".join(lines)))
    console.print(f"[bold]{t('Steps')}[/]")
    for number, step in enumerate(variant.steps, start=1):
        console.print(f"  {number}. {t(step.text)}")
    cues = Table(title=t("Cues"), show_lines=False)
    cues.add_column(t("When"))
    cues.add_column(t("Cue"))
    for cue in variant.cues:
        cues.add_row(t(cue_situation_words(cue.when)), t(cue.text))
    console.print(cues)
    # The CLINICAL.md section stays as written (a clinician looks it up); what it supports
    # is said in the reader's language.
    console.print(f"[bold]{t('Sources')}[/]")
    for note in variant.source_notes:
        console.print(f"  • {note.source}: {t(note.note)}")


# ---------------------------------------------------------------------------------------
# Interactive intake
# ---------------------------------------------------------------------------------------


def _ask_number(
    console: Console,
    label: str,
    low: float,
    high: float,
    *,
    integer: bool,
    allow_blank: bool = False,
) -> float | None:
    while True:
        if allow_blank:
            answer = Prompt.ask(label, console=console, default="").strip()
        else:
            answer = Prompt.ask(label, console=console).strip()
        if allow_blank and not answer:
            return None
        try:
            value = int(answer) if integer else float(answer)
        except ValueError:
            kind = t("Please enter a whole number") if integer else t("Please enter a number")
            console.print(f"[red]{kind}: {low:g}-{high:g}.[/]")
            continue
        if low <= value <= high:
            return value
        console.print(f"[red]{t('Please enter a value in this range')}: {low:g}-{high:g}.[/]")


def _ask_choice(console: Console, label: str, enum: type[E]) -> E:
    """One of ``enum``'s values, by its word in the chosen language or in English; "Light"
    or " LIGHT " is "light" (case, spaces and accents ignored: :mod:`twistcoach.cli.answers`)."""
    values = [member.value for member in enum]
    return enum(ask_word(*_console_io(console), label, values))


def _confirm(console: Console, label: str) -> bool:
    """A yes-or-no question; an empty answer is no."""
    return ask_yes_no(*_console_io(console), label, default=False)


def _console_io(console: Console) -> tuple[Callable[[str], str], Callable[[str], None]]:
    """Read a line after a prompt, and show a line in red, on ``console``."""
    # escape: "[sí/no]" is the answers' list, not Rich markup; no "()" for the empty default.
    return (
        lambda prompt: Prompt.ask(
            escape(prompt.rstrip()), console=console, default="", show_default=False
        )
    ), (lambda line: console.print(f"[red]{escape(line)}[/]"))


def _ask_many(
    console: Console, label: str, options: Sequence[str], describe: Callable[[str], str]
) -> list[str]:
    """Pick any of ``options`` by number or name (any case), comma-separated; blank for none."""
    by_name = {option.casefold(): option for option in options}
    for number, option in enumerate(options, start=1):
        console.print(f"  {number:2d}. {describe(option)}")
    while True:
        answer = Prompt.ask(
            f"{label} ({t('numbers, comma-separated; blank for none')})",
            console=console,
            default="",
        )
        picked: list[str] = []
        bad: list[str] = []
        for item in (part.strip() for part in answer.split(",")):
            if not item:
                continue
            if item.isdigit() and 1 <= int(item) <= len(options):
                choice = options[int(item) - 1]
            elif item.casefold() in by_name:
                choice = by_name[item.casefold()]
            else:
                bad.append(item)
                continue
            if choice not in picked:
                picked.append(choice)
        if not bad:
            return picked
        # Escaped: what was typed ("[/b]") is words, not Rich markup (it crashed the prompt).
        console.print(f"[red]{t('Not in the list, try again')}: {escape(', '.join(bad))}[/]")


def _ask_date(console: Console, label: str, *, not_after: dt.date) -> dt.date:
    while True:
        answer = Prompt.ask(label, console=console).strip()
        try:
            day = dt.date.fromisoformat(answer)
        except ValueError:
            console.print(f"[red]{t('Please enter a date as YYYY-MM-DD.')}[/]")
            continue
        if day <= not_after:
            return day
        console.print(f"[red]{t('That date is after today: enter the day it was given.')}[/]")


def ask_intake(console: Console, library: PoseLibrary) -> Intake:
    """Ask for every intake field with Rich prompts and return the validated intake."""
    console.print(
        Panel(
            t("A few questions about your back. Answers stay on this computer.")
            + "\n"
            + t("This is not a diagnosis; if anything worries you, ask a clinician."),
            title="twistcoach intake",
        )
    )
    data: dict[str, Any] = {
        "age": _ask_number(console, t("Your age (years)"), 16, 120, integer=True),
        "pain_now": _ask_number(
            console, t("Back pain right now, 0 (none) to 10 (worst)"), 0, 10, integer=True
        ),
        "pain_duration_weeks": _ask_number(
            console,
            t("How many weeks has this back pain lasted (0 if none)"),
            0,
            5200,
            integer=False,
        ),
        "activity": _ask_choice(console, t("How active are you usually"), Activity).value,
        "leg_symptoms": _ask_choice(
            console, t("Leg pain, tingling or numbness: how far does it reach"), LegSymptoms
        ).value,
    }
    console.print(f"[bold]{t('Red flags')}[/] ({t('answer yes or no')})")
    data["red_flags"] = [
        flag.value for flag in RedFlag if _confirm(console, f"  {t(RED_FLAG_QUESTIONS[flag])}")
    ]
    console.print(f"[bold]{t('Conditions')}[/] {t('a clinician has told you about')}")
    conditions = _ask_many(
        console,
        t("Your conditions"),
        [c.value for c in Condition],
        lambda value: t(CONDITION_DESCRIPTIONS[Condition(value)]),
    )
    data["conditions"] = conditions
    surgery = {c.value for c in SURGERY_CONDITIONS}
    data["surgery_months_ago"] = (
        _ask_number(
            console,
            t("How many months ago was your surgery (blank if you don't know)"),
            0,
            1200,
            integer=False,
            allow_blank=True,
        )
        if surgery & set(conditions)
        else None
    )
    data["pregnancy_weeks"] = (
        _ask_number(
            console,
            t("How many weeks pregnant are you (blank if you don't know)"),
            0,
            45,
            integer=True,
            allow_blank=True,  # unknown weeks are planned as later pregnancy, as on the web
        )
        if "pregnancy" in conditions
        else None
    )
    clearances: list[dict[str, Any]] = []
    while _confirm(
        console, t("Add a clearance from a clinician or yoga teacher for specific twists?")
    ):
        by = _ask_choice(console, f"  {t('Given by')}", ClearanceBy)
        clearance: dict[str, Any] = {
            "by": by.value,
            "name": Prompt.ask(f"  {t('Their name')}", console=console).strip() or "unnamed",
            "date": _ask_date(
                console,
                f"  {t('Date given (YYYY-MM-DD)')}",
                not_after=latest_today(dt.datetime.now(dt.UTC)),
            ).isoformat(),
        }
        variants: list[str] = []
        while not variants:
            variants = _ask_many(
                console,
                f"  {t('Twists cleared')}",
                list(library.ids),
                lambda value: t(library.get(value).english_name),
            )
            if not variants:
                console.print("[red]A clearance must name at least one twist.[/]")
        clearance["variants"] = variants
        low, high = CLEARANCE_KNEE_DROP_DEG
        clearance["max_knee_drop_deg"] = _ask_number(
            console,
            "  "
            + t("Knee-drop limit they set, degrees {low:g}-{high:g} (blank for none)").format(
                low=low, high=high
            ),
            low,
            high,
            integer=False,
            allow_blank=True,
        )
        low, high = CLEARANCE_ROTATION_DEG
        clearance["max_trunk_rotation_deg"] = _ask_number(
            console,
            "  "
            + t(
                "Trunk-rotation limit they set (seated, standing), degrees {low:g}-{high:g} "
                "(blank for none)"
            ).format(low=low, high=high),
            low,
            high,
            integer=False,
            allow_blank=True,
        )
        if by is ClearanceBy.TEACHER:
            clearance["teacher_trained_for_back_problems"] = _confirm(
                console,
                f"  {t('Is the teacher trained to work with students who have back problems?')}",
            )
        clearances.append(clearance)
    data["clearances"] = clearances
    return parse_intake(data)


# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------


def _library() -> PoseLibrary:
    return load_library()


def _screen(intake: Intake, library: PoseLibrary) -> ReadinessPlan:
    try:
        return screen(intake, library)
    except ScreeningError as exc:
        _fail(str(exc))


def load_demo_intake() -> Intake:
    """The demo person's intake, shipped inside the package."""
    from importlib import resources

    text = resources.files(DEMO_PACKAGE).joinpath(DEMO_FILE).read_text(encoding="utf-8")
    return parse_intake_text(text, "yaml")


def poses(
    variant_name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME", help="Show one variant in full: its name as listed (or its id)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the twist variants in the pose library, or show one in full."""
    from twistcoach.cli.answers import variant_named, variant_names_words

    library = _library()
    console = _console()
    if variant_name is not None:
        variant_id = variant_named(library, variant_name)
        if variant_id is None:
            _fail(f"unknown pose {variant_name!r}; give one of: {variant_names_words(library)}")
        variant = library.get(variant_id)
        if as_json:
            _print_json(variant.model_dump(mode="json"))
        else:
            render_variant(variant, console, library)
        return
    if as_json:
        _print_json([variant.model_dump(mode="json") for variant in library])
        return
    # Names, not ids (--json has those): `poses NAME` takes the name as shown.
    table = Table(title=t("Twist variants (gentlest first)"))
    table.add_column("#")
    table.add_column(t("Twist"))
    table.add_column(t("How far"))
    table.add_column(t("Hold"))
    for number, variant in enumerate(library, start=1):
        table.add_row(
            str(number),
            f"{escape(t(library.name_of(variant.id)))}\n[dim]{variant.sanskrit_name}[/]",
            range_words(variant),
            t("{seconds} s").format(seconds=f"{variant.default_hold_s:g}"),
        )
    console.print(table)
    example = t(library.name_of(library.ids[0]))
    console.print(
        f'[dim]{t("Show one in full:")} twistcoach poses "{escape(example)}"[/]',
        soft_wrap=True,
    )


#: ``plan``'s error message is cut to this many characters (an intake names each bad field).
MAX_PLAN_ERROR_CHARS = 2000


def plan(
    intake_file: Annotated[
        Path | None,
        typer.Argument(metavar="INTAKE", help="Intake file (.json, .yaml or .yml)."),
    ] = None,
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help=(
                "A stored person instead of a file: their latest intake, clearances and "
                "whole history (the decision the coach and the web app use today)."
            ),
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Screen an intake: which twists you are ready for, how far, and why.

    Both ways ask the one planning layer (twistcoach.planning): with a file, for a person
    with no history yet; with --person, with everything stored about them (sharp pain, pain
    rises, check-ins, reviews, approvals), so the answer is the coach's and the web's.
    """
    from twistcoach.planning import DatedIntake, PersonHistory, decide
    from twistcoach.safeload import clip_message

    if (intake_file is None) == (person is None):
        _fail("give an intake file or --person NAME (one of them)")
    library = _library()
    if intake_file is not None:
        try:
            answers = load_intake(intake_file)
        except IntakeError as exc:
            # The message may quote the file: never echo more than a screenful.
            _fail(clip_message(str(exc), MAX_PLAN_ERROR_CHARS))
        from twistcoach.storage.progress import local_zone

        now = dt.datetime.now(dt.UTC)
        try:
            # Today is this machine's calendar day, as for --person and the coach: a
            # clearance dated today counts here exactly when it counts there.
            decision = decide(
                PersonHistory(intakes=(DatedIntake(answers, now),)),
                library,
                now=now,
                tz=local_zone(),
            )
        except ScreeningError as exc:
            _fail(str(exc))
    else:
        assert person is not None
        decision = _decide_for(person)
    readiness = decision.plan
    if readiness is None:
        _fail(" ".join(r.text for r in decision.reasons))
    if as_json:
        if person is None:
            _print_json(readiness.to_json_dict())
        else:
            _print_json({"plan": readiness.to_json_dict(), **decision.to_json_dict()})
        return
    console = _console()
    render_plan(readiness, library, console, today=decision)
    render_today(decision, library, console)


def _decide_for(name: str) -> PracticeDecision:
    """Planning's decision for a stored person (exit 2 naming the problem otherwise)."""
    from sqlalchemy.exc import SQLAlchemyError

    from twistcoach.storage import NotFoundError, StorageError, open_repository
    from twistcoach.storage.progress import decide_for_person

    try:
        repo = open_repository(create=False)  # reads only: no database is made here
        found = repo.person_named(name)
        return decide_for_person(repo, found.id)
    except (NotFoundError, StorageError, ScreeningError) as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print_error(f"database error: {detail}")
        raise typer.Exit(1) from None


def render_today(decision: PracticeDecision, library: PoseLibrary, console: Console) -> None:
    """What the camera coach may do today, in plain words (planning's verdict)."""
    names = library.names()
    console.print(f"[bold]{t('With the camera coach today')}[/]")
    for reason in decision.reasons:
        # Escaped: reasons carry staff's names and words (a withdrawal's reason), and a
        # "[/b]" in them crashed Rich with a traceback.
        console.print(f"  {escape(t(reason.text))}")
    unmeasured: dict[str, list[str]] = {}
    for v in decision.variants:
        if v.allowed:
            if v.measure == "trunk_rotation":
                up_to = t("trunk rotation up to {cap}°").format(cap=f"{v.cap_deg:g}")
            else:
                up_to = t("knee drop up to {cap}°").format(cap=f"{v.cap_deg:g}")
            name = t(names[v.variant_id])
            console.print(f"  [green]{escape(name)}[/]: {up_to}")
            # The command to type, with the name just read (coach's --variant takes it), whole
            # on a line of its own (never wrapped or cut).
            console.print(
                f'    twistcoach coach --variant "{name}"',
                soft_wrap=True,
                highlight=False,
                markup=False,
            )
        elif v.plan_status.value == "allowed" and not decision.reasons and v.reasons:
            # One explanation for every variant that shares it (not the same words four times).
            unmeasured.setdefault(v.reasons[-1].text, []).append(names[v.variant_id])
    for text, which in unmeasured.items():
        named = escape(_joined(t(w) for w in which))
        console.print(f"  [yellow]{named}[/]: {escape(t(text))}")
    if not decision.allowed:
        console.print("  " + t("No twist may be practised with the coach now."))


def intake(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the intake (.json, .yaml, .yml).")
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Answer the intake questions interactively and save them to a file."""
    if out.suffix.lower() not in JSON_SUFFIXES + YAML_SUFFIXES:
        _fail(f"{out}: unknown file type {out.suffix or '(none)'!r}; use .json, .yaml or .yml")
    if out.exists() and not force:
        _fail(f"{out} already exists; choose another name or pass --force to overwrite it")
    try:
        # Before the questions: a folder that did not exist was found once all were answered.
        check_output(out)
    except OutputError as exc:
        _fail(str(exc))
    console = _console()
    library = _library()
    try:
        answers = ask_intake(console, library)
    except (EOFError, KeyboardInterrupt):
        _fail("the intake was not finished; nothing was written")
    except IntakeError as exc:
        _fail(str(exc))
    try:
        write_output(out, intake_text(answers, out).encode("utf-8"))
    except OutputError as exc:
        _fail(str(exc))
    # Escaped: a file name is words, not Rich markup ("[/b].json" crashed it after saving).
    said = escape(str(out))
    console.print(f"[green]Saved your intake to {said}.[/] Next: twistcoach plan {said}")


def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Print the readiness plan of a demo person (a built-in example intake)."""
    person = load_demo_intake()
    library = _library()
    readiness = _screen(person, library)
    if as_json:
        _print_json(readiness.to_json_dict())
        return
    from twistcoach.wording import choice_words

    console = _console()
    # In words and in the chosen language, as the intake asked them (no ids).
    conditions = "; ".join(t(CONDITION_DESCRIPTIONS[c]) for c in sorted(person.conditions))
    lines = [
        t("Age {age}; pain now {pain} out of 10, for {weeks} weeks.").format(
            age=person.age, pain=person.pain_now, weeks=f"{person.pain_duration_weeks:g}"
        ),
        f"{t('Activity:')} {t(choice_words('activity', person.activity.value))}",
        f"{t('Leg symptoms:')} {t(choice_words('leg_symptoms', person.leg_symptoms.value))}",
        f"{t('Conditions:')} {conditions or t('none')}",
        t("Clearances: {n}").format(n=len(person.clearances)),
    ]
    console.print(Panel(escape("\n".join(lines)), title=t("Demo person")))
    render_plan(readiness, library, console)


def register(app: typer.Typer) -> None:
    """Add the pose-library, intake, plan and demo commands to ``app``."""
    app.command("poses")(poses)
    app.command("plan")(plan)
    app.command("intake")(intake)
    app.command("demo")(demo)
