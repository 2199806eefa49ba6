"""The training loop: one function, ``train(config)``, for a laptop CPU, a GPU, or several GPUs under DDP.

SGD with momentum and weight decay follows the config's effective regime per iteration through a
``RegimeScheduler`` (the optimizer is built once, so momentum buffers survive every phase change, unless the
config asks for the authors' reset at every epoch); the loss is
cross-entropy; the gradient norm is clipped (at 5 by default, as the authors did). Losses and accuracy counts
are summed on the device and read only every ``CHECK_EVERY`` iterations and at epoch ends, so a step never
waits for the device. The same reads detect a loss that is no longer finite: the run then stops as
``"diverged"`` and records the exact first iteration whose loss was NaN or infinite, or exploded above
``EXPLOSION_FACTOR`` x ln(number of classes) (100 times the loss of a uniform guess).

The test set is evaluated at the end of every ``eval_every`` epochs; with ``eval_points_per_decade`` also at
log-spaced updates (the grid of the weight-distance log), together with a fixed training sample, and a run with
``stop_at_*`` targets ends at the first such evaluation that meets them all. Evaluations leave the training
itself untouched: a run with them follows the same trajectory as one without.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from gapbook.data import epoch_seed, get_spec
from gapbook.distance import WeightDistance, next_log_point
from gapbook.ghost_bn import convert_ghost_batchnorm
from gapbook.models import build

from .checkpoint import (
    CheckpointWriteError,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
    write_torch_file,
)
from .config import TrainConfig, check_normalized_batch
from .distributed import DistEnv, all_gather_objects, all_reduce_, current, local_device, sync_buffers
from .evaluation import EvalMetrics, evaluate
from .feeds import open_data
from .outputs import check_file_target, check_folder, run_lock, save_result
from .precision import AmpPolicy, resolve_precision
from .provenance import device_name, git_commit, versions
from .results import EpochMetrics, Evaluation, RunResult, finite_or_none, result_filename
from .step import train_step

__all__ = [
    "CHECK_EVERY",
    "EXPLOSION_FACTOR",
    "LOGGED_TRAIN_SAMPLES",
    "initial_model",
    "save_weights",
    "train",
    "train_model",
]

CHECK_EVERY = 20
"""Iterations between reads of the device-side sums (divergence check, progress bar)."""

EXPLOSION_FACTOR = 100.0
"""A training loss above this multiple of ln(number of classes), the loss of a uniform guess, counts as diverged:
a run whose loss explodes but stays finite (e.g. a huge learning rate held in check by gradient clipping) is
recorded as diverged at that iteration instead of completing at chance accuracy."""


LOGGED_TRAIN_SAMPLES = 10_000
"""Training images (the first ones of the split, in order, without augmentation) on which each log-spaced
evaluation measures the training loss and accuracy."""


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    restart: bool = False,
    output_dir: str | os.PathLike[str] | None = None,
    profile: str | None = None,
) -> RunResult:
    """Train as ``config`` says and return the :class:`RunResult`.

    With ``resume=True`` the run continues from ``config.checkpoint_path`` when that file exists (and starts
    afresh when it does not); without it, an existing checkpoint is refused rather than overwritten, unless
    ``restart=True`` says to discard it and start afresh (e.g. to train a finished run again). With
    ``output_dir`` the result is written there as JSON, named by :func:`result_filename`. ``profile`` is a label
    stored with the result. Under an initialized process group (torchrun) every process calls this; rank 0
    writes checkpoints and results, and every process reads the checkpoint path, so it must be visible to all.
    """
    return train_model(config, resume=resume, restart=restart, output_dir=output_dir, profile=profile)[0]


def train_model(
    config: TrainConfig,
    *,
    resume: bool = False,
    restart: bool = False,
    output_dir: str | os.PathLike[str] | None = None,
    profile: str | None = None,
) -> tuple[RunResult, nn.Module]:
    """:func:`train`, also returning the trained network (e.g. to measure its gradients or its sharpness)."""
    env = current()
    device = local_device(config.device, env)
    policy = resolve_precision(config.precision, device)
    output = None if output_dir is None else Path(output_dir) / result_filename(config)
    lock_target = config.checkpoint_path or output
    if env.is_main:
        if output is not None:
            check_folder(output.parent, "the output folder")
        if config.checkpoint_path is not None:
            check_file_target(config.checkpoint_path, "the checkpoint path")
    with run_lock(lock_target) if env.is_main and lock_target is not None else nullcontext():
        with _deterministic(device.type == "cpu"):
            run = _Run(config, env, device, policy)
            run.restore(resume, restart)
            result = run.fit(profile)
        if output is not None and env.is_main:
            save_result(result, output)
    return result, run.model


def save_weights(model: nn.Module, path: str | os.PathLike[str]) -> Path:
    """Write ``model``'s ``state_dict`` to ``path`` atomically (read it back with ``torch.load(weights_only=True)``
    into the network :func:`initial_model` builds); returns the path."""
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    return write_torch_file(path, state, "file of weights")


def initial_model(config: TrainConfig, device: torch.device | str = "cpu") -> nn.Module:
    """The network exactly as a run of ``config`` starts it: seeded by the config's seed, with Ghost BN when asked.

    The number of classes is the data set's (array data sets; folder data sets need a run to count them).
    """
    if not config.is_array_dataset:
        raise ValueError(f"the classes of folder data set {config.dataset!r} are counted when its data is opened")
    return _model(config, get_spec(str(config.dataset)).num_classes, torch.device(device))


@contextmanager
def _deterministic(enabled: bool) -> Iterator[None]:
    """Use deterministic algorithms while training (on the CPU), then restore.

    Without filling new tensors with NaN, which deterministic mode also does by default: that guards code reading
    memory it never wrote, which the engine's kernels do not, and it costs a write pass over every allocation
    (1 to 3% of a bfloat16 channels-last step of F1 or C1 on one CPU thread; ``benchmarks/README.md``).
    """
    previous = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    fill = torch.utils.deterministic.fill_uninitialized_memory
    if enabled:
        torch.use_deterministic_algorithms(True)
        torch.utils.deterministic.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=warn_only)
        torch.utils.deterministic.fill_uninitialized_memory = fill


def _model(config: TrainConfig, num_classes: int, device: torch.device) -> nn.Module:
    """The network, seeded, with Ghost BN when asked, on ``device`` in the chosen memory format."""
    torch.manual_seed(config.seed)
    model = build(config.model, num_classes=num_classes)
    if config.ghost_batch_size is not None:
        model = convert_ghost_batchnorm(model, config.ghost_batch_size)
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if config.channels_last else model


class _Run:
    """The state of one run and the steps that move it forward."""

    def __init__(self, config: TrainConfig, env: DistEnv, device: torch.device, policy: AmpPolicy) -> None:
        self.started = time.perf_counter()
        # The code that trains is the code of this moment: a long run must not record a commit made while it ran.
        self.git_commit = git_commit()
        self.config, self.env, self.device, self.policy = config, env, device, policy
        if env.distributed and config.ghost_batch_size is not None:
            _check_ghost_per_rank(config, env)
        elif env.distributed:  # each process normalizes its own share of the batch
            check_normalized_batch(config.model, config.batch_size // env.world_size, "per-process batch")
        self.data = open_data(config, env, device)
        if config.eval_points_per_decade is not None and self.data.train_eval is None:
            raise ValueError(
                "log-spaced evaluations measure a fixed training sample, which image folder data sets do not "
                "provide; leave eval_points_per_decade (and the stop_at_* targets) unset for them"
            )
        self.model = _model(config, self.data.num_classes, device)
        net: nn.Module = self.model
        if env.distributed:
            net = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
        self.net = torch.compile(net) if config.compile else net
        # Dropout draws from a stream of its own per process, independent of the initialization.
        torch.manual_seed(epoch_seed(config.seed, 0, stream=1 + env.rank))
        self.regime = config.effective_regime()
        self.steps_per_epoch = len(self.data.train)
        self.total_steps = self.regime.total_steps(self.steps_per_epoch)
        if self.total_steps < 1:
            raise ValueError(
                f"the regime's {self.regime.epochs} epochs of {self.steps_per_epoch} steps make no iteration; "
                "train for more epochs"
            )
        self.num_epochs = math.ceil(self.total_steps / self.steps_per_epoch)
        first = self.regime.phases[0]
        self.optimizer = torch.optim.SGD(
            self.model.parameters(), lr=first.lr, momentum=first.momentum or 0.0, weight_decay=first.weight_decay or 0.0
        )
        self.scheduler = self.regime.scheduler(self.optimizer, self.steps_per_epoch)
        self.scaler = policy.grad_scaler()
        self.distance = WeightDistance(self.model, points_per_decade=config.distance_points_per_decade)
        self.epochs: list[EpochMetrics] = []
        self.epoch = 0
        self.iteration = 0
        self.elapsed_before = 0.0
        self.resumed_at: list[int] = []
        self.diverged_at: dict[str, Any] | None = None
        self.evaluations: list[Evaluation] = []
        self.target_reached: int | None = None
        self.next_evaluation = self._next_evaluation_after(0)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started, including the time before it was last resumed."""
        return self.elapsed_before + time.perf_counter() - self.started

    def restore(self, resume: bool, restart: bool) -> None:
        """Continue from the checkpoint when resuming; else discard it when restarting, refuse to overwrite it
        otherwise (under the run's lock, so that no other process is training from it)."""
        path = self.config.checkpoint_path
        if path is None:
            if resume:
                raise ValueError("resume needs a checkpoint path; set checkpoint_path (--checkpoint-path)")
            return
        if Path(path).is_dir():
            raise ValueError(f"the checkpoint path {path} is a folder; give the path of a checkpoint file")
        if not Path(path).exists():
            if resume and self.env.is_main:
                print(f"no checkpoint at {path} yet; starting the run from the beginning", file=sys.stderr)
            return
        if not resume and restart:
            if self.env.is_main:
                Path(path).unlink()
            return
        if not resume:
            raise FileExistsError(
                f"checkpoint {path} exists; resume the run from it (resume=True, --resume), or delete it to start "
                "over"
            )
        state = load_checkpoint(path, self.config)
        if state["world_size"] != self.env.world_size or state["precision"] != self.policy.precision:
            raise ValueError(
                f"checkpoint {path} was written by {state['world_size']} process(es) in {state['precision']}, but "
                f"this run has {self.env.world_size} in {self.policy.precision}; resume it with the same number of "
                f"processes and precision ({state['precision']})"
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler.is_enabled():
            self.scaler.load_state_dict(state["scaler"])
        self.distance.load_state_dict(state["distance"])
        self.epochs = [EpochMetrics(**metrics) for metrics in state["metrics"]]
        self.epoch, self.iteration, self.elapsed_before = state["epoch"], state["iteration"], state["elapsed"]
        self.evaluations = [Evaluation(**point) for point in state.get("evaluations", [])]
        self.target_reached = state.get("target_reached")
        self.next_evaluation = self._next_evaluation_after(self.iteration)
        self.resumed_at = [*state["resumed_at_epochs"], self.epoch]
        set_rng_state(state["rng"][self.env.rank], self.device)

    def fit(self, profile: str | None) -> RunResult:
        """Train the remaining epochs and return the result."""
        bar = tqdm(
            total=self.total_steps,
            initial=self.iteration,
            disable=not (self.config.progress and self.env.is_main),
            desc=f"{self.config.model} b{self.config.batch_size}",
            unit="step",
            dynamic_ncols=True,
        )
        try:
            while self.epoch < self.num_epochs and self.diverged_at is None and self.target_reached is None:
                self._epoch(bar)
        finally:
            bar.close()
        return self._result(profile)

    def _train_fit(self) -> float | None:
        """The final weights' accuracy on the whole training split in evaluation mode (``None`` when not measured)."""
        if self.diverged_at is not None or self.data.train_eval is None:
            return None
        sync_buffers(self.model)
        return evaluate(self.model, self.data.train_eval, self.policy, top5=False).acc

    def _epoch(self, bar: tqdm) -> None:
        """One epoch: train, measure, evaluate when due, checkpoint when due."""
        epoch = self.epoch
        if self.config.reset_momentum:
            _reset_momentum(self.optimizer)
        self.data.train.set_epoch(epoch)
        self.net.train()
        lr = float(self.optimizer.param_groups[0]["lr"])
        steps = min(self.steps_per_epoch, self.total_steps - self.iteration)
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        counter = torch.full((), self.iteration, dtype=torch.int64, device=self.device)
        first_bad = torch.full((2,), -1, dtype=torch.int64, device=self.device)  # not finite, exploded
        limit = EXPLOSION_FACTOR * math.log(self.data.num_classes)
        seen = 0
        for step, (x, y) in zip(range(steps), self.data.train):
            loss, hits = self._step(x, y)
            counter += 1
            bad_now = torch.stack([~torch.isfinite(loss), torch.isfinite(loss) & (loss > limit)])
            first_bad = torch.where((first_bad < 0) & bad_now, counter, first_bad)
            loss_sum += loss * len(y)
            correct += hits
            seen += len(y)
            self.iteration += 1
            bar.update(1)
            if self.iteration % CHECK_EVERY == 0 or step == steps - 1:
                bad, running_loss = self._read(first_bad, loss_sum)
                bar.set_postfix(epoch=epoch + 1, loss=f"{running_loss / seen:.4g}", refresh=False)
                if bad is not None:
                    self.diverged_at = {"epoch": epoch + 1, **bad}
                    break
            if self.iteration == self.next_evaluation:
                self._log_evaluation()
                if self.target_reached is not None:
                    break
        count = torch.tensor(float(seen), dtype=torch.float64, device=self.device)
        totals = all_reduce_(torch.stack([loss_sum.double(), correct.double(), count]))
        train_loss, train_correct, train_seen = totals.tolist()
        self.distance.record()
        evaluated = self._epoch_evaluation() if self._evaluation_due(epoch) else None
        self.epochs.append(
            EpochMetrics(
                epoch=epoch + 1,
                iteration=self.iteration,
                lr=lr,
                train_loss=finite_or_none(train_loss / train_seen),
                train_acc=train_correct / train_seen,
                test_loss=None if evaluated is None else finite_or_none(evaluated.loss),
                test_acc=None if evaluated is None else evaluated.acc,
                test_top5=None if evaluated is None else evaluated.top5,
                distance=finite_or_none(float(self.distance.distances[-1])),
                wall_time=self.elapsed,
            )
        )
        if self.diverged_at is None:
            self.epoch = epoch + 1
            ended = self.epoch == self.num_epochs or self.target_reached is not None
            if self.epoch % self.config.checkpoint_every == 0 or ended:
                self._checkpoint(final=ended)

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step, then the schedule and the distance log; returns the detached float32 loss and the
        number of correct predictions."""
        loss, hits = train_step(
            self.net, self.optimizer, x, y, policy=self.policy, scaler=self.scaler, grad_clip=self.config.grad_clip
        )
        self.scheduler.step()
        self.distance.step()
        return loss, hits

    def _read(self, first_bad: torch.Tensor, loss_sum: torch.Tensor) -> tuple[dict[str, Any] | None, float]:
        """Read, in one transfer, the earliest non-finite and exploded iterations over all processes and this
        one's loss sum; returns the divergence (iteration and reason) or ``None``, and the loss sum."""
        never = self.total_steps + 1
        earliest = all_reduce_(torch.where(first_bad < 0, never, first_bad), op="min")
        not_finite, exploded, running = torch.cat([earliest.double(), loss_sum.double().view(1)]).tolist()
        if min(not_finite, exploded) == never:
            return None, running
        if not_finite <= exploded:
            return {"iteration": int(not_finite), "reason": "loss not finite"}, running
        reason = f"loss above {EXPLOSION_FACTOR:g} x ln({self.data.num_classes} classes)"
        return {"iteration": int(exploded), "reason": reason}, running

    def _evaluation_due(self, epoch: int) -> bool:
        if self.diverged_at is not None:
            return False
        ends = epoch + 1 == self.num_epochs or self.target_reached is not None
        return (epoch + 1) % self.config.eval_every == 0 or ends

    def _evaluate(self) -> EvalMetrics:
        sync_buffers(self.model)
        return evaluate(
            self.model, self.data.test, self.policy, top5=self.data.num_classes > 10, limit=self.data.eval_limit
        )

    def _epoch_evaluation(self) -> EvalMetrics:
        """The test metrics at the epoch's end, taken from the log-spaced evaluation of this iteration if it
        had one (the same weights, so the same numbers)."""
        last = self.evaluations[-1] if self.evaluations else None
        if last is not None and last.iteration == self.iteration and self.data.num_classes <= 10:
            return EvalMetrics(last.test_loss if last.test_loss is not None else math.nan, last.test_acc, None)
        return self._evaluate()

    def _next_evaluation_after(self, iteration: int) -> int | None:
        """The next iteration of the log-spaced evaluations, ``None`` when the config asks for none."""
        per_decade = self.config.eval_points_per_decade
        return None if per_decade is None else next_log_point(iteration, per_decade)

    def _log_evaluation(self) -> None:
        """Evaluate the test set and the fixed training sample now, log it, and stop the run if it meets the
        config's targets; the network goes back to training mode."""
        test = self._evaluate()
        assert self.data.train_eval is not None  # checked when the run starts
        share = -(-LOGGED_TRAIN_SAMPLES // self.env.world_size)
        fit = evaluate(self.model, self.data.train_eval, self.policy, top5=False, limit=share)
        point = Evaluation(
            iteration=self.iteration,
            test_loss=finite_or_none(test.loss),
            test_acc=test.acc,
            train_loss=finite_or_none(fit.loss),
            train_acc=fit.acc,
            wall_time=self.elapsed,
        )
        self.evaluations.append(point)
        self.next_evaluation = self._next_evaluation_after(self.iteration)
        if self.config.targets and point.meets(self.config.targets):
            self.target_reached = self.iteration
        self.net.train()

    def _checkpoint(self, final: bool) -> None:
        """Write the checkpoint (rank 0), with every process's random number generator states.

        A checkpoint that cannot be written (a full disk) stops the run, which resumes from the one before; but the
        result of a run that has finished needs no checkpoint, so when its last one fails the run ends with its
        result and a warning, and the checkpoint of an earlier epoch, which no longer matches it, is removed.
        """
        path = self.config.checkpoint_path
        if path is None:
            return
        rng = all_gather_objects(rng_state(self.device))
        if not self.env.is_main:
            return
        try:
            self._save_checkpoint(path, rng)
        except CheckpointWriteError as err:
            if not final:
                raise CheckpointWriteError(
                    f"{err} The run stopped after epoch {self.epoch}; make room, then continue it from its last "
                    "checkpoint (resume=True, --resume)"
                ) from err
            Path(path).unlink(missing_ok=True)
            print(
                f"warning: {err} The run has finished, so its result is complete without it; any checkpoint of an "
                "earlier epoch, which no longer matches the result, was removed",
                file=sys.stderr,
            )

    def _save_checkpoint(self, path: str, rng: list[Any]) -> None:
        """Write everything the next epoch depends on to ``path``; ``rng`` holds every process's generator states."""
        save_checkpoint(
            path,
            {
                "config": self.config.to_dict(),
                "config_hash": self.config.config_hash(),
                "world_size": self.env.world_size,
                "precision": self.policy.precision,
                "epoch": self.epoch,
                "iteration": self.iteration,
                "elapsed": self.elapsed,
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
                "distance": self.distance.state_dict(),
                "metrics": [dataclasses.asdict(metrics) for metrics in self.epochs],
                "rng": rng,
                "resumed_at_epochs": self.resumed_at,
                "evaluations": [dataclasses.asdict(point) for point in self.evaluations],
                "target_reached": self.target_reached,
            },
        )

    def _config_recorded(self) -> TrainConfig:
        """The config as the run resolved it: ``auto`` device and precision made concrete, paths absolute (a stored
        result writes them relative to its folder)."""
        return self.config.replace(
            device=self.device.type if self.config.device == "auto" else self.config.device,
            precision=self.policy.precision,
            checkpoint_path=_absolute(self.config.checkpoint_path),
            data_root=_absolute(self.config.data_root),
        )

    def _result(self, profile: str | None) -> RunResult:
        evaluated = [metrics.test_acc for metrics in self.epochs if metrics.test_acc is not None]
        completed = self.diverged_at is None
        last = self.epochs[-1]
        log = self.distance.to_dict()
        path = self.config.checkpoint_path
        return RunResult(
            config=self._config_recorded().to_dict(),
            config_hash=self.config.config_hash(),
            status="completed" if completed else "diverged",
            epochs=list(self.epochs),
            distance={**log, "distances": [finite_or_none(value) for value in log["distances"]]},
            final_test_acc=last.test_acc if completed else None,
            best_test_acc=max(evaluated) if evaluated else None,
            final_test_top5=last.test_top5 if completed else None,
            diverged_at=self.diverged_at,
            iterations=self.iteration,
            steps_per_epoch=self.steps_per_epoch,
            train_samples=self.data.train_samples,
            test_samples=self.data.test_samples,
            effective_regime=self.regime.to_dict(),
            wall_time=self.elapsed,
            device=device_name(self.device),
            world_size=self.env.world_size,
            precision=self.policy.precision,
            versions=versions(),
            git_commit=self.git_commit,
            profile=profile,
            checkpoint_path=_absolute(path),
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            resumed_at_epochs=list(self.resumed_at),
            final_train_acc=self._train_fit(),
            evaluations=list(self.evaluations),
            target_reached=self.target_reached,
        )


def _absolute(path: str | None) -> str | None:
    return None if path is None else str(Path(path).resolve())


def _reset_momentum(optimizer: torch.optim.Optimizer) -> None:
    """Forget the momentum buffers, as rebuilding the optimizer would: the next step starts them from its gradient."""
    for state in optimizer.state.values():
        state.pop("momentum_buffer", None)


def _check_ghost_per_rank(config: TrainConfig, env: DistEnv) -> None:
    """Under DDP every process normalizes its own ghost batches, so they must tile its slice of the batch."""
    if config.batch_size % env.world_size:
        raise ValueError(
            f"batch_size {config.batch_size} is not divisible by the {env.world_size} processes; use a multiple "
            f"of {env.world_size}"
        )
    local = config.batch_size // env.world_size
    if local % int(config.ghost_batch_size or 1):
        raise ValueError(
            f"ghost_batch_size {config.ghost_batch_size} does not divide the per-process batch {local} "
            f"({config.batch_size} / {env.world_size} processes); choose a ghost size that divides {local}, or "
            "another number of processes"
        )
