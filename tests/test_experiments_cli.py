"""``gapbook reproduce`` and ``gapbook table``: runs skipped when done, missing cells marked, clear errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import torch

from gapbook.book.paths import results_dir
from gapbook.cli import main
from gapbook.data import ArrayDataset, DatasetSpec
from gapbook.data.sources import unavailable
from gapbook.experiments import COLUMN_KEYS, MISSING, ROW_KEYS, ResultStore, runner, write_synthetic_data
from gapbook.experiments.profiles import PROFILE_VARIABLE
from gapbook.train import initial_model, result_filename


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_synthetic_data(tmp_path_factory.mktemp("synthetic")))


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory, data_root: str) -> Path:
    """A results store with mnist-f1 SB and LB at smoke for seeds 0 and 1, made by the command line."""
    root = tmp_path_factory.mktemp("results")
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "SB,LB", "--seeds", "0,1", "--threads", "1"]
    threads = torch.get_num_threads()
    try:
        assert main([*args, "--results-dir", str(root), "--data-root", data_root, "--no-progress"]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    return root


def help_text(command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "300")
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text = help_text("reproduce", capsys, monkeypatch)
    for option in ("--columns", "--profile", "--seeds", "--device", "--force", "--results-dir", "--data-root",
                   "--no-progress", "--threads", "--reset-momentum", "--precision {auto,fp32,bf16,fp16}",
                   "--channels-last"):  # fmt: skip
        assert option in text, option
    assert all(key in text for key in ROW_KEYS) and "SB, LB, +LR, +GBN, +RA" in text
    assert "(default: book/results)" in text and "skipped" in text and "resumes" in text
    text = help_text("table", capsys, monkeypatch)
    assert "--format {markdown,csv}" in text and "--results-dir" in text and "never estimated" in text


def test_reproduce_reports_each_run_and_a_summary(
    store_dir: Path, data_root: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultStore(store_dir, "smoke")
    assert len(store.results()) == 4 and not any((store_dir / "smoke" / "checkpoints").iterdir())
    monkeypatch.setattr(runner, "train_model", lambda *args, **kwargs: pytest.fail("a done run was trained"))
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "lb,sb", "--seeds", "1,0"]
    assert main([*args, "--results-dir", str(store_dir), "--data-root", data_root]) == 0
    out = capsys.readouterr().out
    assert "mnist-f1 at the smoke profile: 4 run(s)" in out
    assert out.count(": reused, completed, final test accuracy") == 4 and "training f1" not in out
    assert "[1/4] mnist-f1 SB seed 1" in out and "[4/4] mnist-f1 LB seed 0" in out
    assert "summary of mnist-f1 over seed(s) 0, 1:" in out and "4 reused, 0 trained, 0 resumed" in out
    assert "SB  ours" in out and "(n=2)" in out and "paper 98.27" in out and "paper 97.05" in out


def test_the_authors_momentum_reset_runs_as_experiments_of_their_own(
    store_dir: Path, data_root: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "LB", "--seeds", "0", "--reset-momentum"]
    assert main([*args, "--results-dir", str(store_dir), "--data-root", data_root, "--no-progress"]) == 0
    assert "1 trained" in capsys.readouterr().out
    store = ResultStore(store_dir, "smoke")
    reset = [result for result in store.results() if result.config["reset_momentum"]]
    assert len(reset) == 1 and reset[0].config["batch_size"] == 8
    assert len(store.results()) == 5 and all(len(runs) <= 2 for runs in store.by_experiment().values())
    store.path(reset[0].train_config).unlink()  # leave the shared store as the other tests expect it


def table_lines(store_dir: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["table", "--profile", "smoke", "--results-dir", str(store_dir), "--format", fmt]) == 0
    return capsys.readouterr().out


def test_the_table_shows_our_cells_and_marks_missing_ones(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = table_lines(store_dir, "markdown", capsys)
    lines = text.splitlines()
    assert "| Network | Column | Paper | `smoke` |" in lines
    start = lines.index(next(line for line in lines if line.startswith("| F1 on MNIST | SB |")))
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[start : start + 5]]
    assert [c[1] for c in cells] == list(COLUMN_KEYS) and [c[2] for c in cells] == ["98.27", "97.05", "97.55", "97.6",
                                                                                   "98.53"]  # fmt: skip
    assert "(n=2)" in cells[0][3] and "(n=2)" in cells[1][3] and [c[3] for c in cells[2:]] == [MISSING] * 3
    assert "| ResNet44 on CIFAR-10 | SB | 92.83 | — |" in text and "ResNet44 (He et al. 2016)" in text
    assert "| AlexNet on ImageNet, LB 8192 | SB | 57.1 (?) | — |" in text and "|  | LB | 41.23 (?) | — |" in text
    assert "decoded from JPEG" in text
    assert text.count(f"| {MISSING} |") == 5 * len(ROW_KEYS) - 2

    rows = list(csv.DictReader(io.StringIO(table_lines(store_dir, "csv", capsys))))
    assert len(rows) == 5 * len(ROW_KEYS)
    by_cell = {(r["row"], r["column"]): r for r in rows}
    assert by_cell["mnist-f1", "SB"]["n"] == "2" and by_cell["mnist-f1", "SB"]["mean"] != ""
    assert by_cell["mnist-f1", "+LR"]["n"] == "0" and by_cell["mnist-f1", "+LR"]["mean"] == ""
    assert float(by_cell["mnist-f1", "LB"]["seconds_per_run"]) > 0
    assert by_cell["mnist-f1", "+LR"]["seconds_per_run"] == ""
    assert by_cell["imagenet-alexnet-8192", "LB"]["paper_uncertain"] == "true"
    assert by_cell["cifar100-c3", "+LR"]["paper"] == "57.38"


def test_a_foreign_file_in_the_store_stops_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "smoke"
    folder.mkdir()
    (folder / "f1-mnist-b2-000000000000.json").write_text("[]")
    assert main(["table", "--profile", "smoke", "--results-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("gapbook table: error: ") and "is not a readable result" in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mnist-f2"], "argument ROW: unknown row 'mnist-f2'; the rows are mnist-f1, cifar10-c1, cifar10-resnet44"),
        (["mnist-f1", "--columns", "SB,XL"], "unknown column 'XL'; the columns are SB, LB, +LR, +GBN, +RA"),
        (["mnist-f1", "--profile", "huge"], "argument --profile: invalid choice: 'huge' (choose from 'smoke', 'mini'"),
        (["mnist-f1", "--seeds", "0,one"], "seeds must be ints >= 0 separated by commas"),
        (["mnist-f1", "--seeds", "1,1"], "seed(s) [1] given twice"),
        (["mnist-f1", "--threads", "0"], "threads must be an int >= 1, got '0'"),
        (["mnist-f1", "--precision", "fp64"], "argument --precision: invalid choice: 'fp64' (choose from 'auto'"),
    ],
)
def test_bad_arguments_are_usage_errors_listing_the_valid_values(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", *args])
    assert exit_info.value.code == 2 and message in " ".join(capsys.readouterr().err.split())


def offline(spec: DatasetSpec, root: Path) -> ArrayDataset:
    """What the data layer's download does without a network."""
    raise unavailable(spec.name, root, "the download failed (no network)")


@pytest.mark.parametrize(
    ("row_key", "message"),
    [
        ("cifar100-c3", "Data set 'cifar100' is not available"),
        ("imagenet-alexnet-4096", "has no train/ folder"),
    ],
)
def test_rows_without_data_fail_with_the_data_layers_message(
    row_key: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapbook.data.load.download_arrays", offline)
    args = ["reproduce", row_key, "--profile", "mini", "--columns", "SB", "--data-root", str(tmp_path / "empty")]
    assert main([*args, "--results-dir", str(tmp_path / "results"), "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("gapbook reproduce: error: ") and message in error and "Traceback" not in error


def test_bad_values_met_while_running_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--device", "gpu0", "--results-dir", str(tmp_path)]
    assert main(args) == 2
    assert "device must be 'auto' or a device of kind" in capsys.readouterr().err
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["reproduce", "mnist-f1", "--profile", "smoke", "--results-dir", str(tmp_path)]) == 2
    assert "runs in a single process, not under torchrun" in capsys.readouterr().err
    monkeypatch.delenv("WORLD_SIZE")
    monkeypatch.setenv(PROFILE_VARIABLE, "huge")
    assert main(["table", "--results-dir", str(tmp_path)]) == 2
    assert f"{PROFILE_VARIABLE}='huge' is not a profile" in capsys.readouterr().err


def test_the_profile_defaults_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(PROFILE_VARIABLE, "full")
    assert main(["table", "--results-dir", str(tmp_path)]) == 0
    assert "gapbook's `full` profile" in capsys.readouterr().out


def test_reproduce_keeps_the_final_weights_when_asked(
    data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = tmp_path / "weights"
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "SB", "--results-dir", str(tmp_path)]
    assert main([*args, "--data-root", data_root, "--no-progress", "--keep-weights", str(weights)]) == 0
    (result,) = ResultStore(tmp_path, "smoke").results()
    (saved,) = weights.glob("*.pt")
    assert saved.stem == Path(result_filename(result.train_config)).stem
    model = initial_model(result.train_config)
    model.load_state_dict(torch.load(saved, weights_only=True))
    start = initial_model(result.train_config)
    moved = torch.cat([(a - b).detach().flatten() for a, b in zip(model.parameters(), start.parameters())]).norm()
    assert float(moved) == pytest.approx(result.distance["distances"][-1], rel=1e-4)


@pytest.mark.parametrize("row_key", ["mnist-f1", "cifar10-c1"])
def test_the_default_plan_finds_the_stored_float32_runs_and_the_fast_path_is_new(row_key: str) -> None:
    store = ResultStore(results_dir(), "mini")
    default = runner.plan(row_key, "mini", seeds=(0, 1, 2), device="cpu")
    assert all(store.lookup(run.config) is not None for run in default)  # the committed results' hashes
    assert {run.config.resolved_precision() for run in default} == {"fp32"}
    assert not any(run.config.channels_last for run in default)
    fast = runner.plan(row_key, "mini", seeds=(0, 1, 2), device="cpu", precision="bf16", channels_last=True)
    assert [(run.column, run.seed) for run in fast] == [(run.column, run.seed) for run in default]
    assert all(run.config.precision == "bf16" and run.config.channels_last for run in fast)
    assert not {run.config.config_hash() for run in fast} & {run.config.config_hash() for run in default}
    assert all(store.lookup(run.config) is None for run in fast)


def test_reproduce_runs_the_fast_path_as_runs_of_their_own(
    data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "SB", "--results-dir", str(tmp_path),
            "--data-root", data_root, "--no-progress"]  # fmt: skip
    assert main(args) == 0 and main([*args, "--precision", "bf16", "--channels-last"]) == 0
    out = capsys.readouterr().out
    assert out.count("1 trained") == 2
    runs = sorted(ResultStore(tmp_path, "smoke").results(), key=lambda result: result.precision)
    assert [(run.precision, run.config["channels_last"]) for run in runs] == [("bf16", True), ("fp32", False)]
    assert runs[0].config_hash != runs[1].config_hash


def test_fp16_on_a_cpu_is_a_one_line_error(data_root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["reproduce", "mnist-f1", "--profile", "smoke", "--columns", "SB", "--device", "cpu", "--precision", "fp16"]
    assert main([*args, "--results-dir", str(tmp_path), "--data-root", data_root, "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("gapbook reproduce: error: ") and "precision fp16 needs a CUDA device" in error
