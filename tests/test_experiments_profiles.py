"""Which profile a chapter runs at: the environment first, then the hardware."""

from __future__ import annotations

import pytest
import torch

from gapbook.experiments.profiles import PROFILE_VARIABLE, active_profile


def test_the_environment_decides_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_VARIABLE, " Full ")
    assert active_profile() == "full" and active_profile(on_gpu="mini") == "full"


@pytest.mark.parametrize("gpu", [True, False])
def test_without_the_environment_the_hardware_decides(monkeypatch: pytest.MonkeyPatch, gpu: bool) -> None:
    monkeypatch.delenv(PROFILE_VARIABLE, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    assert active_profile() == ("full" if gpu else "mini")
    assert active_profile(on_gpu="mini") == "mini"
    assert active_profile(on_gpu="smoke") == ("smoke" if gpu else "mini")


def test_an_unknown_choice_for_the_gpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILE_VARIABLE, raising=False)
    with pytest.raises(ValueError, match="on_gpu='huge' is not a profile; use one of smoke, mini, full"):
        active_profile(on_gpu="huge")
