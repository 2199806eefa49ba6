"""``gapbook train``: every ``TrainConfig`` field as an option, a saved config to replay, the result's path printed.

Options are made from the config's fields (``batch_size`` becomes ``--batch-size``), with the field's own help
text and default, so the command line and the config cannot disagree. ``--config run.json`` starts from a saved
config (a ``TrainConfig`` JSON or a result JSON); options given beside it override its fields.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from .config import TrainConfig
from .distributed import process_group_from_env
from .engine import train
from .outputs import check_file_target, check_folder
from .results import result_filename

__all__ = ["add_train_command", "positive_int", "resume_hint", "run_train", "thread_count"]

DEFAULT_OUTPUT = "results"
_NONE = "none"
_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
_METAVARS = {
    "regime": "JSON|FILE",
    "regime_adaptation": "FACTOR",
    "distance_points_per_decade": "N",
    "eval_points_per_decade": "N",
    "stop_at_test_acc": "ACC",
    "stop_at_train_loss": "LOSS",
}


def positive_int(what: str) -> Callable[[str], int]:
    """An argparse type for an int >= 1, whose usage error names ``what``."""

    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"{what} must be an int >= 1, got {text!r}")
        return int(text)

    parse.__name__ = what
    return parse


thread_count = positive_int("threads")
"""The ``--threads`` type of every command that trains or measures: PyTorch's CPU threads, at least one."""


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser that also accepts ``none``."""

    def parse_optional(text: str) -> Any:
        return None if text.lower() == _NONE else parse(text)

    parse_optional.__name__ = getattr(parse, "__name__", "value")
    return parse_optional


def _regime(text: str) -> dict[str, Any]:
    """A regime as JSON text, or the path of a JSON file holding one (``Regime.to_dict()`` form)."""
    path = Path(text)
    source = path.read_text(encoding="utf-8") if path.is_file() else text
    try:
        data = json.loads(source)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not a JSON regime nor a JSON file ({err})") from None
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("a regime is a JSON object with phases, epochs, warmup_epochs, ...")
    return data


def _parser_for(hint: Any) -> Callable[[str], Any]:
    """The text parser for a field of type ``hint`` (int, float, str, a regime dict, or one of them or None)."""
    arguments = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in arguments:
        (inner,) = [argument for argument in arguments if argument is not type(None)]
        return _regime if typing.get_origin(inner) is dict else _optional(inner)
    return hint


def _default_text(name: str) -> str:
    defaults = {
        "model": "required unless --config gives it",
        "dataset": "the network's",
        "regime": "the authors' regime for the network",
        "checkpoint_path": "<output>/<result name>.pt",
        "data_root": "$GAPBOOK_DATA, else the user cache",
    }
    if name in defaults:
        return defaults[name]
    value = _FIELDS[name].default
    return _NONE if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def add_train_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``train`` on a sub-command collection; returns its parser."""
    parser = commands.add_parser(
        "train",
        help="train one configuration and write its result JSON",
        description="Train one configuration (single process, or one process per GPU under torchrun) and write its "
        "result JSON. Options whose default is none also accept 'none'.",
    )
    parser.add_argument("--config", metavar="FILE", help="start from a saved config or result JSON (default: none)")
    hints = typing.get_type_hints(TrainConfig)
    for name, hint in hints.items():
        flag = "--" + name.replace("_", "-")
        text = f"{_FIELDS[name].metadata['help']} (default: {_default_text(name)})"
        if hint is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=text)
        else:
            metavar = _METAVARS.get(name, name.split("_")[-1].upper())
            kind = _parser_for(hint)
            parser.add_argument(flag, type=kind, default=argparse.SUPPRESS, metavar=metavar, help=text)
    output_help = f"folder for the result JSON (default: {DEFAULT_OUTPUT})"
    parser.add_argument("--output", default=DEFAULT_OUTPUT, metavar="DIR", help=output_help)
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint (default: false)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="train again, replacing a result of the same config in the output folder and starting afresh over "
        "its checkpoint (with --resume: continuing from the checkpoint) (default: false)",
    )
    parser.add_argument("--profile", metavar="LABEL", help="profile label stored with the result (default: none)")
    parser.add_argument(
        "--print-config", action="store_true", help="print the config as JSON and exit without training"
    )
    parser.add_argument(
        "--threads",
        type=thread_count,
        metavar="N",
        help="CPU threads of PyTorch (of each process under torchrun); on a busy machine 1 avoids threads waiting "
        "for each other (default: PyTorch's)",
    )
    parser.set_defaults(run=run_train, resume_hint=resume_hint)
    return parser


def _saved_config(path: str) -> dict[str, Any]:
    """The config fields of a saved config or result JSON; its checkpoint path is not reused."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, RecursionError) as err:  # RecursionError: JSON nested too deeply
        raise ValueError(f"--config {path}: cannot read a JSON config from it ({err})") from None
    if isinstance(data, dict) and "config" in data and "config_hash" in data:
        data = data["config"]
        if isinstance(data, dict) and isinstance(data.get("data_root"), str):  # a result's paths are relative to it
            data["data_root"] = str((Path(path).parent / data["data_root"]).resolve())
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ValueError(f"--config {path}: expected a JSON object (a TrainConfig or a result), got {kind}")
    data.pop("checkpoint_path", None)
    return data


def build_config(args: argparse.Namespace) -> TrainConfig:
    """The config that ``args`` describe: the saved config, overridden by the options given."""
    fields = _saved_config(args.config) if args.config else {}
    fields.update({name: value for name, value in vars(args).items() if name in _FIELDS})
    config = TrainConfig.from_dict(fields)
    if "checkpoint_path" not in vars(args):
        default = Path(args.output) / Path(result_filename(config)).with_suffix(".pt")
        config = config.replace(checkpoint_path=str(default))
    return config


def _check_outputs(config: TrainConfig, args: argparse.Namespace) -> None:
    """Check, before training, that the result and the checkpoint can be written, and that no result is replaced
    unless ``--force`` says so."""
    check_folder(args.output, "--output")
    if config.checkpoint_path is not None:
        check_file_target(config.checkpoint_path, "--checkpoint-path")
    existing = Path(args.output) / result_filename(config)
    if existing.exists() and not args.force:
        raise FileExistsError(
            f"a result of this config already exists: {existing}; pass --force to train again and replace it, or "
            "choose another --output"
        )


def resume_hint(args: argparse.Namespace, argv: list[str]) -> str:
    """What to do after an interrupted ``gapbook train``: the exact command that continues it."""
    try:
        config = build_config(args)
    except (ValueError, OSError):
        return "start again with: " + shlex.join(["gapbook", *argv])
    if config.checkpoint_path is None:
        return "no checkpoint was kept (--checkpoint-path none); start again with: " + shlex.join(["gapbook", *argv])
    command = [*argv, *([] if args.resume else ["--resume"])]
    return (
        f"the last checkpoint ({config.checkpoint_path}, written every {config.checkpoint_every} epoch(s)) is kept; "
        "continue with: " + shlex.join(["gapbook", *command])
    )


def run_train(args: argparse.Namespace) -> int:
    """Run ``gapbook train``; bad input is reported in one line with exit status 2."""
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        config = build_config(args)
        if args.print_config:
            print(config.to_json())
            return 0
        _check_outputs(config, args)
        with process_group_from_env(config.device) as env:
            result = train(
                config, resume=args.resume, restart=args.force, output_dir=args.output, profile=args.profile
            )
    except (ValueError, OSError) as err:
        print(f"gapbook train: error: {err}", file=sys.stderr)
        return 2
    if env.is_main:
        accuracy = "none" if result.final_test_acc is None else f"{result.final_test_acc:.4f}"
        print(f"{result.status}: {result.iterations} iterations, final test accuracy {accuracy}")
        print(f"result written to {Path(args.output) / result_filename(config)}")
    return 0
