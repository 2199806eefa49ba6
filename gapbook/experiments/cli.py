"""``gapbook reproduce`` (run a Table 1 row) and ``gapbook table`` (the paper's numbers beside ours)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import torch

from .profiles import PROFILE_VARIABLE, PROFILES, active_profile
from gapbook.train.outputs import check_folder

from gapbook.train import result_filename
from gapbook.train.cli import positive_int, thread_count
from gapbook.train.config import PRECISIONS

from .columns import COLUMN_KEYS, parse_columns
from .minima import MinimaStore, MinimumSettings, measure_minimum
from .report import row_runs
from .runner import ACTIONS, Outcome, check_seeds, reproduce
from .summary import summarize
from .table import FORMATS, render
from .table1 import ROW_KEYS, row

__all__ = [
    "add_minima_command",
    "add_reproduce_command",
    "add_table_command",
    "comma_choices",
    "run_minima",
    "run_reproduce",
    "run_table",
]

DEFAULT_RESULTS = "book/results"
T = TypeVar("T")
_PROFILE_HELP = (
    f"scale: {', '.join(PROFILES)} (default: ${PROFILE_VARIABLE}, else full with a GPU, mini without); smoke uses "
    "synthetic data"
)


def _argument_type(parse: Callable[[str], T], what: str) -> Callable[[str], T]:
    """An argparse type that turns the ``ValueError`` of ``parse`` into a usage error about ``what``."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    convert.__name__ = what
    return convert


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"seeds must be ints >= 0 separated by commas, e.g. 0,1,2; got {text!r}") from None
    return check_seeds(seeds)


def comma_choices(text: str, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """The distinct names of a comma-separated ``text``, each one of ``allowed`` (``what`` names them in errors)."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [name for name in chosen if name not in allowed]
    if not chosen or unknown:
        raise ValueError(f"{what} must be some of {', '.join(allowed)} separated by commas, got {text!r}")
    return chosen


def _profiles(text: str) -> tuple[str, ...]:
    return comma_choices(text, PROFILES, "profiles")


def add_reproduce_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``reproduce`` on a sub-command collection; returns its parser."""
    parser = commands.add_parser(
        "reproduce",
        help="run a row of Table 1 (its columns x seeds) into the results store",
        description="Run a row of Table 1 of Hoffer, Hubara & Soudry (2017) at a profile: each column for each "
        "seed, seed by seed. A run whose result is stored is skipped; a run with a checkpoint (left by an "
        "interrupted run) resumes from it; each result is written to <results-dir>/<profile>/ as JSON named by "
        "its config hash, and its checkpoint (kept in <results-dir>/<profile>/checkpoints/ while it runs) is then "
        "removed. Progress goes to the terminal, a summary per column at the end.",
    )
    parser.add_argument("row", type=_argument_type(lambda text: row(text).key, "row"), metavar="ROW",
                        help=f"the row: {', '.join(ROW_KEYS)}")  # fmt: skip
    parser.add_argument(
        "--columns",
        type=_argument_type(parse_columns, "columns"),
        default=COLUMN_KEYS,
        metavar="LIST",
        help=f"comma-separated columns among {', '.join(COLUMN_KEYS)} (default: all five)",
    )
    parser.add_argument("--profile", choices=PROFILES, help=_PROFILE_HELP)
    parser.add_argument(
        "--seeds",
        type=_argument_type(_seeds, "seeds"),
        default=(0,),
        metavar="LIST",
        help="comma-separated seeds, e.g. 0,1,2 (default: 0)",
    )
    parser.add_argument(
        "--device", default="auto", help="auto (cuda when available, else cpu), cpu, cuda or cuda:N (default: auto)"
    )
    parser.add_argument(
        "--force", action="store_true", help="recompute runs whose result is stored, ignoring checkpoints too"
    )
    parser.add_argument(
        "--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=f"the results store (default: {DEFAULT_RESULTS})"
    )
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="folder holding the data sets (default: $GAPBOOK_DATA, else the user cache; smoke: synthetic data in "
        "a temporary folder)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show a progress bar per run (default: --progress)",
    )
    parser.add_argument(
        "--keep-weights",
        metavar="DIR",
        help="keep the final weights of every run trained in DIR (<result name>.pt, a state_dict), e.g. to measure "
        "the trained networks' sharpness (default: not kept)",
    )
    parser.add_argument(
        "--reset-momentum",
        action="store_true",
        help="zero the momentum buffers at the start of every epoch, as the authors' code did by rebuilding its "
        "optimizer every epoch (default: keep them)",
    )
    parser.add_argument(
        "--threads",
        type=thread_count,
        metavar="N",
        help="CPU threads of PyTorch; on a busy machine 1 avoids threads waiting for each other (default: PyTorch's)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=None,
        help="numerics of the runs, part of their identity: auto is float32 on a CPU and bf16 or fp16 on a GPU; "
        "bf16 with --channels-last is a CPU's fast path, planned as runs of their own (default: the row's scale "
        "says, as the stored results were run: auto, except ResNet44 at mini, bf16 with channels-last)",
    )
    parser.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="channels-last memory format for images and networks, part of the runs' identity (default: the row's "
        "scale says: off, except ResNet44 at mini)",
    )
    parser.set_defaults(run=run_reproduce, resume_hint=_reproduce_hint)
    return parser


def _reproduce_hint(args: argparse.Namespace, argv: list[str]) -> str:
    """What to do after an interrupted ``gapbook reproduce``: the same command re-uses what is stored and resumes
    the interrupted run from its last checkpoint."""
    command = [arg for arg in argv if arg != "--force"]
    return (
        "finished runs are stored and the interrupted one keeps its last checkpoint; continue with: "
        + shlex.join(["gapbook", *command])
    )


def add_minima_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``minima`` on a sub-command collection; returns its parser."""
    parser = commands.add_parser(
        "minima",
        help="measure the sharpness of the minima a row's stored runs reached, from their kept weights",
        description="For every stored run of a row at a profile whose final weights are in --weights (kept by "
        "gapbook reproduce --keep-weights), measure the top eigenvalues of the training-loss Hessian and Keskar's "
        "epsilon-sharpness on a fixed training sample (BatchNorm in evaluation mode), and store each measurement "
        "beside the run's result, in <results-dir>/<profile>/minima/. Measured runs are skipped.",
    )
    parser.add_argument("row", type=_argument_type(lambda text: row(text).key, "row"), metavar="ROW",
                        help=f"the row: {', '.join(ROW_KEYS)}")  # fmt: skip
    parser.add_argument("--profile", choices=PROFILES, help=_PROFILE_HELP)
    parser.add_argument("--weights", required=True, metavar="DIR", help="the folder of the kept final weights")
    parser.add_argument(
        "--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=f"the results store (default: {DEFAULT_RESULTS})"
    )
    parser.add_argument("--samples", type=positive_int("samples"), default=MinimumSettings.samples,
                        metavar="N", help=f"training samples measured on (default: {MinimumSettings.samples})")  # fmt: skip
    parser.add_argument("--data-root", metavar="DIR", help="folder holding the data sets (default: $GAPBOOK_DATA)")
    parser.add_argument("--threads", type=thread_count, metavar="N",
                        help="CPU threads of PyTorch (default: PyTorch's)")  # fmt: skip
    parser.set_defaults(run=run_minima)
    return parser


def run_minima(args: argparse.Namespace) -> int:
    """Run ``gapbook minima``; bad input is reported in one line with exit status 2."""
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        profile = args.profile or active_profile()
        weights = Path(args.weights)
        if not weights.is_dir():
            raise ValueError(f"--weights {weights} is not a folder of kept weights (gapbook reproduce --keep-weights)")
        minima = MinimaStore(args.results_dir, profile)
        settings = MinimumSettings(samples=args.samples)
        runs = [run for runs in row_runs(args.results_dir, args.row, profile).values() for run in runs]
        for run in runs:
            kept = weights / Path(result_filename(run.train_config)).with_suffix(".pt")
            if minima.lookup(run) is not None or not kept.is_file():
                print(f"{result_filename(run.train_config)}: {'measured' if kept.is_file() else 'no kept weights'}")
                continue
            measured = measure_minimum(run, kept, settings, data_root=args.data_root)
            minima.save(measured)
            print(f"{measured.result_name}: top eigenvalue {measured.top_eigenvalue:.4g}, epsilon-sharpness "
                  f"{measured.epsilon_sharpness:.4g}% ({measured.wall_time:.0f} s)")  # fmt: skip
    except (ValueError, OSError) as err:
        print(f"gapbook minima: error: {err}", file=sys.stderr)
        return 2
    return 0


def add_table_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``table`` on a sub-command collection; returns its parser."""
    parser = commands.add_parser(
        "table",
        help="print Table 1 with our stored results beside the paper's",
        description="Print every row and column of Table 1: the paper's accuracy and ours at one or more profiles "
        "side by side (mean ± sample standard deviation over the stored seeds, and their number n). A cell without "
        "a stored result is shown as missing (—), never estimated.",
    )
    parser.add_argument(
        "--profile",
        type=_argument_type(_profiles, "profiles"),
        metavar="LIST",
        help=f"comma-separated profiles among {', '.join(PROFILES)}, shown side by side, e.g. full,mini (default: "
        f"${PROFILE_VARIABLE}, else full with a GPU, mini without)",
    )
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="output format (default: markdown)")
    parser.add_argument(
        "--results-dir", default=DEFAULT_RESULTS, metavar="DIR", help=f"the results store (default: {DEFAULT_RESULTS})"
    )
    parser.set_defaults(run=run_table)
    return parser


def _summary(outcomes: Sequence[Outcome]) -> list[str]:
    """A line per column (our summary beside the paper's number) and a line of totals."""
    entry = row(outcomes[0].run.row)
    lines = [f"summary of {entry.key} over seed(s) {', '.join(map(str, sorted({o.run.seed for o in outcomes})))}:"]
    for column in COLUMN_KEYS:
        done = [outcome.result for outcome in outcomes if outcome.run.column == column]
        if done:
            summary = summarize(done)
            lines.append(
                f"  {column:>4}  ours {summary}  paper {entry.paper_value(column):g}  "
                f"({summary.wall_time / len(done):.0f} s of training per run)"
            )
    counts = {action: sum(o.action == action for o in outcomes) for action in ACTIONS}
    spent = sum(o.result.wall_time for o in outcomes if o.action != "reused")
    lines.append(", ".join(f"{count} {action}" for action, count in counts.items()) + f"; {spent:.0f} s of training")
    return lines


def run_reproduce(args: argparse.Namespace) -> int:
    """Run ``gapbook reproduce``; bad input and missing data are reported in one line with exit status 2."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        print(
            "gapbook reproduce: error: it runs in a single process, not under torchrun; to train a config on several "
            "GPUs, write it with gapbook.experiments.experiment_config(row, column, profile).to_json() and run "
            "torchrun --nproc_per_node=N -m gapbook train --config FILE",
            file=sys.stderr,
        )
        return 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        check_folder(args.results_dir, "--results-dir")
        if args.keep_weights is not None:
            check_folder(args.keep_weights, "--keep-weights")
        outcomes = reproduce(
            args.row,
            args.profile or active_profile(),
            columns=args.columns,
            seeds=args.seeds,
            device=args.device,
            force=args.force,
            results_dir=args.results_dir,
            data_root=args.data_root,
            progress=args.progress,
            reset_momentum=args.reset_momentum,
            precision=args.precision,
            channels_last=args.channels_last,
            weights_dir=args.keep_weights,
        )
    except (ValueError, OSError) as err:
        print(f"gapbook reproduce: error: {err}", file=sys.stderr)
        return 2
    print("\n".join(_summary(outcomes)))
    return 0


def _check_results_folder(path: str) -> None:
    folder = Path(path)
    if not folder.exists():
        raise ValueError(f"the results folder {folder} does not exist; give the folder that holds <profile>/*.json")
    if not folder.is_dir():
        raise ValueError(f"the results folder {folder} is a file; give the folder that holds <profile>/*.json")


def run_table(args: argparse.Namespace) -> int:
    """Run ``gapbook table``; an unreadable store is reported in one line with exit status 2."""
    try:
        _check_results_folder(args.results_dir)
        text = render(args.results_dir, args.profile or active_profile(), args.format)
    except ValueError as err:
        print(f"gapbook table: error: {err}", file=sys.stderr)
        return 2
    print(text, end="")
    return 0
