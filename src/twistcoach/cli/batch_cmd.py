"""``twistcoach batch``: analyse many photos and videos on Ray, resumably.

Exit status: 0 when every input was analysed; 2 when any input failed (each is recorded
with its reason in the state file, the table and the overview) or the command was given
something it cannot use (one line on stderr, never a traceback); 130 when interrupted
(Ctrl-C: run the same command again to resume).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from twistcoach.cli.analyze_cmd import MIRRORED_HELP

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from twistcoach.batch import BatchInput, InputRecord

DEFAULT_OUT = Path("twistcoach-batch")

# Paragraphs are single logical lines so Rich can wrap them to the terminal's width.
HELP = (
    "Measure spinal twists in many photos and videos at once, on Ray.\n\n"
    "INPUTS are folders (every photo and video inside, recursively), globs (quote them: "
    "[bold]'archive/2026-*/*.mp4'[/]) or CSV manifests (a [bold]path[/] column, and optional "
    "[bold]body[/], [bold]cap[/], [bold]flat[/] and [bold]mirrored[/] columns for each person; "
    "flat: a photo of the neutral pose from the same place, as analyze --flat; mirrored: yes "
    "for a video the phone saved mirrored, as analyze --mirrored). Each input is one Ray task that "
    "runs what [bold]twistcoach analyze --workers 1[/] runs, so [bold]OUT/<name>/[/] holds the "
    "same files ([bold]summary.json[/], and for videos [bold]metrics.csv[/] and "
    "[bold]report.html[/]).\n\n"
    "Across the batch: [bold]OUT/batch-results.csv[/] and [bold].parquet[/] (one row per "
    "input: its measure, depth against cap, view, events, failures), "
    "[bold]OUT/batch-overview.html[/] (plots of depth against cap, failures with their "
    "reasons) and [bold]OUT/summaries.json[/]. A supine twist is measured by the knee drop, "
    "a seated or standing twist by the trunk rotation, as [bold]analyze --twist auto[/] "
    "measures it.\n\n"
    "An input analyze refuses (unreadable, no usable flat photograph) is recorded with its "
    "reason at once; one that failed otherwise (a crash, a worker lost) is tried once more. "
    "The batch goes on. "
    "Interrupted? Run the same command again: inputs recorded in "
    "[bold]OUT/batch-state.json[/] are not redone (a file replaced under the same name, "
    "another size, time or content, is).\n\n"
    "By default Ray runs privately on this machine (nothing to set up; loopback only). To use "
    "a clinic's cluster, start it with Ray's own [bold]ray start[/] and pass "
    "[bold]--address[/] (docs/batch.md).\n\n"
    "Exit status: 0 all analysed, 2 any input failed or bad arguments, 130 interrupted.\n\n"
    "Example: [bold]twistcoach batch examples/ --out results/ --cap 45[/]"
)


def escape(text: str) -> str:
    """``text`` with Rich's markup escaped (Rich is imported only when the command runs)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class _RichListener:
    """Feeds a Rich progress bar from finished tasks and prints failures as they happen.

    Every file name and message is escaped (``rich.markup.escape``): a file named
    ``x[/b]y.jpg`` crashed the batch, and ``[red]photo.jpg`` was printed altered.
    """

    def __init__(self, progress: Progress, console: Console) -> None:
        self.progress = progress
        self.console = console
        self.task: TaskID | None = None
        self.failed = 0

    def started(self, to_do: int, skipped: int, workers: int) -> None:
        from twistcoach.i18n import ngettext, t

        if skipped:
            self.console.print(
                t(
                    ngettext(
                        "resuming: {n} input already finished is not redone",
                        "resuming: {n} inputs already finished are not redone",
                        skipped,
                    )
                ).format(n=skipped)
            )
        self.console.print(
            t(
                ngettext(
                    "{n} input to analyse, {at_once} at a time",
                    "{n} inputs to analyse, {at_once} at a time",
                    to_do,
                )
            ).format(n=to_do, at_once=min(workers, to_do))
        )
        self.task = self.progress.add_task("analysing", total=to_do)

    def retrying(self, item: BatchInput, reason: str) -> None:
        self.console.print(f"[yellow]retrying[/] {escape(item.path.name)}: {escape(reason)}")

    def finished(self, record: InputRecord) -> None:
        if record.status == "failed":
            self.failed += 1
            self.console.print(f"[red]failed:[/] {escape(str(record.error))}")
        if self.task is not None:
            label = escape(Path(record.path).name[:30])
            if self.failed:
                label += f" [red]({self.failed} failed)[/]"
            self.progress.update(self.task, advance=1, description=label)

    def warning(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/] {escape(message)}")


def run_batch_command(
    inputs: list[str],
    out: Path,
    *,
    address: str | None,
    workers: int | None,
    cap_deg: float | None,
    body: str,
    annotate: bool,
    retry_failed: bool,
    mirrored: bool = False,
) -> int:
    """Run a batch from the command line; return the exit status (see the module docs)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from twistcoach.batch import (
        BatchInputError,
        BatchOptions,
        RayOptions,
        collect_inputs,
        run_batch,
    )
    from twistcoach.batch.table import CSV_FILE, OVERVIEW_FILE, write_outputs
    from twistcoach.cli.analyze_cmd import check_body_and_out
    from twistcoach.errors import TwistcoachError

    err = Console(stderr=True, soft_wrap=True, highlight=False)
    body_type = check_body_and_out(err, body, out)
    if body_type is None:
        return 2
    try:
        items = collect_inputs(inputs, body=body_type, cap_deg=cap_deg, out=out, mirrored=mirrored)
    except BatchInputError as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        return 2
    made = not out.exists()
    from twistcoach.cli.output import OutputError, make_output_folder

    try:
        make_output_folder(out)
    except OutputError as e:
        err.print(f"[red]error:[/] {escape(str(e))}")
        return 2
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    listener = _RichListener(progress, err)
    try:
        with progress:
            result = run_batch(
                items,
                BatchOptions(out=out, annotate=annotate, retry_failed=retry_failed),
                RayOptions(address=address, workers=workers),
                listener,
            )
    except TwistcoachError as e:  # another batch is writing to --out (BatchBusy)
        from twistcoach.cli.app import exit_code_for

        err.print(f"[red]error:[/] {escape(str(e))}")
        return exit_code_for(e)
    except KeyboardInterrupt:  # before the first task or while Ray starts or stops
        err.print("[yellow]interrupted:[/] run the same command again to finish the batch")
        return 130
    except ConnectionError as e:
        where = address or "this machine"
        first = (str(e).splitlines() or [""])[0]
        err.print(f"[red]error:[/] cannot reach Ray at {escape(where)}: {escape(first)}")
        _unmake(out, made)
        return 2
    except OSError as e:
        err.print(f"[red]error:[/] cannot write to {escape(str(out))}: {escape(str(e))}")
        return 2
    except Exception as e:  # Ray's own start-up errors: one line, never a traceback
        first = (str(e).strip().splitlines() or [""])[0]
        err.print(f"[red]error:[/] the batch could not run ({type(e).__name__}: {escape(first)})")
        _unmake(out, made)
        return 2
    try:
        write_outputs(out, result.records, interrupted=result.interrupted)
    except OSError as e:
        err.print(
            f"[red]error:[/] cannot write the combined table to {escape(str(out))}: "
            f"{escape(str(e))}"
        )
        return 2
    from twistcoach.i18n import ngettext, t

    failed = sum(r.status == "failed" for r in result.records)
    err.print(
        t(
            ngettext(
                "{done} of {n} input finished ({now} analysed now, {earlier} earlier; {failed} "
                "failed); table {table}, overview {overview}",
                "{done} of {n} inputs finished ({now} analysed now, {earlier} earlier; {failed} "
                "failed); table {table}, overview {overview}",
                len(items),
            )
        ).format(
            done=len(result.records),
            n=len(items),
            now=result.analysed,
            earlier=result.skipped,
            failed=failed,
            table=escape(str(out / CSV_FILE)),
            overview=escape(str(out / OVERVIEW_FILE)),
        )
    )
    if result.interrupted:
        err.print("[yellow]interrupted:[/] run the same command again to finish the batch")
        return 130
    return 2 if failed else 0


def _unmake(out: Path, made: bool) -> None:
    """Remove the output folder this run made (``made``) when the batch could not start
    (Ray not reached): it held only the batch's lock, and a bad ``--address`` left it behind.
    A folder holding anything else is kept."""
    from twistcoach.batch.runner import LOCK_FILE

    if not made:
        return
    with contextlib.suppress(OSError):
        (out / LOCK_FILE).unlink(missing_ok=True)
        out.rmdir()  # fails, keeping it, when anything else is inside


def register(app: typer.Typer) -> None:
    """Add the ``batch`` command to the application."""

    @app.command("batch", help=HELP)
    def batch(
        inputs: Annotated[
            list[str],
            typer.Argument(
                help="Folders, globs (quoted), CSV manifests or files.", show_default=False
            ),
        ],
        out: Annotated[
            Path,
            typer.Option(
                "--out", "-o", help="Folder for the results, the table and the state file."
            ),
        ] = DEFAULT_OUT,
        address: Annotated[
            str | None,
            typer.Option(
                "--address",
                help=(
                    "A running Ray cluster (HOST:PORT of its head, or 'auto' for the one "
                    "started on this machine with 'ray start'). Default: a private Ray on "
                    "this machine, started and stopped by the command."
                ),
                show_default=False,
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                min=1,
                max=256,
                help=(
                    "Inputs analysed at once (one CPU each). Default: this machine's cores "
                    "(at most 8), or on a cluster all of its CPUs."
                ),
                show_default=False,
            ),
        ] = None,
        cap: Annotated[
            float | None,
            typer.Option(
                "--cap",
                help=(
                    "Range cap in degrees of each input's measure, for inputs whose manifest "
                    "row sets none. Default: as 'twistcoach analyze', 60 for a knee drop and "
                    "30 for a trunk rotation."
                ),
                show_default=False,
            ),
        ] = None,
        body: Annotated[
            str,
            typer.Option(
                "--body",
                help=(
                    "Body type (female, male or neutral) for inputs whose manifest row sets "
                    "none; see 'twistcoach analyze --help'."
                ),
            ),
        ] = "neutral",
        annotate: Annotated[
            bool,
            typer.Option("--annotate", help="Also write each input with skeleton and gauge."),
        ] = False,
        mirrored: Annotated[
            bool,
            typer.Option(
                "--mirrored",
                help=(
                    "For every video whose manifest row does not say: "
                    + MIRRORED_HELP
                    + " Mixed with photographs, say it per video in a manifest's mirrored "
                    "column instead."
                ),
            ),
        ] = False,
        retry_failed: Annotated[
            bool,
            typer.Option(
                "--retry-failed",
                help="Analyse again the inputs that failed in an earlier run of this batch.",
            ),
        ] = False,
    ) -> None:
        code = run_batch_command(
            inputs,
            out,
            address=address,
            workers=workers,
            cap_deg=cap,
            body=body,
            annotate=annotate,
            retry_failed=retry_failed,
            mirrored=mirrored,
        )
        if code:
            raise typer.Exit(code)
