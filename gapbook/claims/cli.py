"""``gapbook claims``: every claim of the book with its verdict on the stored runs, and which verdicts a folder of
extra runs would change."""

from __future__ import annotations

import argparse
from pathlib import Path

from gapbook.experiments.profiles import PROFILES

from .evidence import Stores
from .registry import CLAIMS, changes, evaluate_all
from .report import changes_markdown, verdicts_markdown

__all__ = ["add_claims_command", "run_claims"]

DEFAULT_RESULTS = "book/results"


def add_claims_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``claims`` on a sub-command collection; returns its parser."""
    parser = commands.add_parser(
        "claims",
        help="the book's claims with their verdicts, and which change when extra runs are added",
        description="Evaluate every claim of the book on the results store: the estimate with its 95%% interval, "
        "the verdict (shown, not shown at this scale, or equivalent within a margin), the runs it rests on, "
        "whether the claim holds and how many leave-one-seed-out variants would change it. With --add-seeds DIR, "
        "also evaluate each claim with the runs in DIR added (DIR laid out like the store: DIR/<profile>/*.json) "
        "and say which verdicts change. Exit status 1 when a claim the book asserts fails.",
    )
    parser.add_argument("--results-dir", default=DEFAULT_RESULTS, metavar="DIR",
                        help=f"the results store (default: {DEFAULT_RESULTS})")  # fmt: skip
    parser.add_argument("--profile", choices=PROFILES, help="only the claims made at this profile (default: all)")
    parser.add_argument("--chapter", metavar="NAME", help="only the claims of this chapter, e.g. table1_mnist")
    parser.add_argument("--add-seeds", metavar="DIR", help="a folder of extra runs to add to the store")
    parser.set_defaults(run=run_claims)
    return parser


def run_claims(args: argparse.Namespace) -> int:
    """Run ``gapbook claims``; bad input is reported in one line with exit status 2."""
    chosen = [c for c in CLAIMS if args.profile in (None, c.profile) and args.chapter in (None, c.chapter)]
    if not chosen:
        chapters = ", ".join(sorted({c.chapter for c in CLAIMS}))
        print(f"gapbook claims: error: no claim matches; the chapters with claims are {chapters}")
        return 2
    for folder, what in ((args.results_dir, "--results-dir"), (args.add_seeds, "--add-seeds")):
        if folder is not None and not Path(folder).is_dir():
            print(f"gapbook claims: error: {what} {folder!r} is not a folder; give a results store, e.g. book/results")
            return 2
    stores = Stores([args.results_dir])
    if args.add_seeds is None:
        verdicts = evaluate_all(stores, chosen)
        print(verdicts_markdown(verdicts))
    else:
        found = changes(stores, args.add_seeds, chosen)
        print(changes_markdown(found))
        moved = sum(c.changed for c in found)
        print(f"\n{moved} of {len(found)} verdicts change with the runs in {args.add_seeds}")
        verdicts = [c.after for c in found]
    failed = [v.claim.key for v in verdicts if v.holds is False]
    if failed:
        print(f"\nclaims the book asserts that fail: {', '.join(failed)}")
        return 1
    return 0
