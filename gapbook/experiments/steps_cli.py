"""``gapbook steps``: run the steps-to-target sweep (:mod:`gapbook.experiments.steps`) into its results store."""

from __future__ import annotations

import argparse
import shlex
import sys

import torch

from gapbook.train.cli import thread_count
from gapbook.train.outputs import check_folder

from .cli import DEFAULT_RESULTS, _PROFILE_HELP, _argument_type, _seeds, comma_choices
from .profiles import PROFILES, active_profile
from .runner import run_config
from .steps import STEP_RULES, STEPS_FOLDER, steps_configs, steps_scale, steps_store, updates_to_target
from .synthetic import smoke_data_root

__all__ = ["add_steps_command", "run_steps"]

def _rules(text: str) -> tuple[str, ...]:
    return comma_choices(text, STEP_RULES, "rules")


def _batches(text: str) -> tuple[int, ...]:
    try:
        batches = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"batches must be ints separated by commas, e.g. 128,4096; got {text!r}") from None
    if not batches or min(batches) < 1:
        raise ValueError(f"batches must be ints >= 1 separated by commas, got {text!r}")
    return batches


def add_steps_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``steps`` on a sub-command collection; returns its parser."""
    parser = commands.add_parser(
        "steps",
        help="run the steps-to-target sweep over batch sizes and learning-rate rules",
        description="Train F1 on MNIST at every batch of the profile under each learning-rate rule (none, sqrt, "
        "linear with warm-up) and seed, each run ending at the first log-spaced evaluation that meets the "
        "profile's test-accuracy and training-loss targets, or at its budget of epochs. Results go to "
        f"<results-dir>/{STEPS_FOLDER}/<profile>/ as JSON named by config hash; stored runs are skipped and an "
        "interrupted run resumes from its checkpoint.",
    )
    parser.add_argument("--profile", choices=PROFILES, help=_PROFILE_HELP)
    parser.add_argument("--rules", type=_argument_type(_rules, "rules"), default=STEP_RULES, metavar="LIST",
                        help=f"comma-separated rules among {', '.join(STEP_RULES)} (default: all)")  # fmt: skip
    parser.add_argument("--batches", type=_argument_type(_batches, "batches"), metavar="LIST",
                        help="comma-separated batch sizes among the profile's (default: all of them)")  # fmt: skip
    parser.add_argument("--seeds", type=_argument_type(_seeds, "seeds"), metavar="LIST",
                        help="comma-separated seeds (default: the profile's)")  # fmt: skip
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    parser.add_argument("--results-dir", default=DEFAULT_RESULTS, metavar="DIR",
                        help=f"the results folder (default: {DEFAULT_RESULTS})")  # fmt: skip
    parser.add_argument("--data-root", metavar="DIR",
                        help="folder holding the data sets (default: $GAPBOOK_DATA, else the user cache)")  # fmt: skip
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                        help="show a progress bar per run (default: --progress)")  # fmt: skip
    parser.add_argument("--threads", type=thread_count, metavar="N",
                        help="CPU threads of PyTorch (default: PyTorch's)")  # fmt: skip
    parser.set_defaults(run=run_steps, resume_hint=_steps_hint)
    return parser


def _steps_hint(args: argparse.Namespace, argv: list[str]) -> str:
    return "finished runs are stored and the interrupted one keeps its checkpoint; continue with: " + shlex.join(
        ["gapbook", *argv]
    )


def _at(update: float | None) -> str:
    return "not reached" if update is None else f"update {update:.0f}"


def run_steps(args: argparse.Namespace) -> int:
    """Run ``gapbook steps``; bad input is reported in one line with exit status 2."""
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        profile = args.profile or active_profile()
        check_folder(args.results_dir, "--results-dir")
        chosen = steps_scale(profile)
        outside = sorted(set(args.batches or ()) - set(chosen.batches))
        if outside:
            raise ValueError(
                f"batches {outside} are not in the {profile} sweep; choose among {', '.join(map(str, chosen.batches))}"
            )
        data_root = args.data_root or (str(smoke_data_root()) if profile == "smoke" else None)
        configs = [
            config
            for config in steps_configs(profile, rules=args.rules, seeds=args.seeds, device=args.device,
                                        data_root=data_root, progress=args.progress)  # fmt: skip
            if args.batches is None or config.batch_size in args.batches
        ]
        store = steps_store(args.results_dir, profile)
        print(f"steps to target at the {profile} profile: {len(configs)} run(s), results in {store.folder}", flush=True)
        for index, config in enumerate(configs, start=1):
            result, action = run_config(config, store)
            reached = updates_to_target(result, test_acc=chosen.target_test_acc)
            fitted = updates_to_target(result, train_loss=chosen.target_train_loss)
            print(
                f"[{index}/{len(configs)}] batch {config.batch_size} lr {config.effective_regime().phases[0].lr:.4g} "
                f"seed {config.seed}: {action}; test target: {_at(reached)}, training-loss target: "
                f"{_at(fitted)}, of {result.iterations} updates ({result.wall_time:.0f} s)",
                flush=True,
            )
    except (ValueError, OSError) as err:
        print(f"gapbook steps: error: {err}", file=sys.stderr)
        return 2
    return 0
