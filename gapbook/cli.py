"""The ``gapbook`` command line (also ``python -m gapbook``)."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence

import torch

import gapbook
from gapbook import models
from gapbook.claims.cli import add_claims_command
from gapbook.data.root import ENV_VAR, data_root
from gapbook.experiments.cli import add_minima_command, add_reproduce_command, add_table_command
from gapbook.experiments.profiles import PROFILE_VARIABLE, active_profile
from gapbook.experiments.steps_cli import add_steps_command
from gapbook.train.cli import add_train_command


def _info(_: argparse.Namespace) -> int:
    """Print what a run would use here: versions, device, profile, data root and the available models; a bad
    ``$GAPBOOK_PROFILE`` is reported in one line with exit status 2."""
    try:
        profile = active_profile()
    except ValueError as err:
        print(f"gapbook info: error: {err}", file=sys.stderr)
        return 2
    if torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)}, {torch.cuda.device_count()} GPU(s))"
    else:
        device = f"cpu ({torch.get_num_threads()} threads)"
    root = data_root()
    cached = sorted(path.stem for path in root.glob("*.npz")) if root.is_dir() else []
    print(f"gapbook     {gapbook.__version__}")
    print(f"python      {platform.python_version()}")
    print(f"torch       {torch.__version__}")
    print(f"device      {device}")
    print(f"profile     {profile} (set {PROFILE_VARIABLE} to choose smoke, mini or full)")
    print(f"data root   {root} (set {ENV_VAR} to move it); cached: {', '.join(cached) or 'none'}")
    print(f"models      {', '.join(models.names())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="gapbook",
        description="Train longer, generalize better (Hoffer, Hubara & Soudry, 2017), explained and reproduced.",
    )
    parser.add_argument("--version", action="version", version=f"gapbook {gapbook.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = commands.add_parser("info", help="show versions, device, profile, data root and models")
    info.set_defaults(run=_info)
    add_train_command(commands)
    add_reproduce_command(commands)
    add_table_command(commands)
    add_minima_command(commands)
    add_steps_command(commands)
    add_claims_command(commands)
    return parser


INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""


def _no_resume(args: argparse.Namespace, argv: list[str]) -> str:
    return "nothing was left half-done"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status. Ctrl-C ends it with status 130 and one line saying how
    to continue."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except KeyboardInterrupt:
        hint = getattr(args, "resume_hint", _no_resume)(args, arguments)
        print(f"\ngapbook {args.command}: interrupted; {hint}", file=sys.stderr)
        return INTERRUPTED
