"""lerobot-train pieces in-process: bad-flag errors, the resumable batch stream, RNG and optimizer state files."""

import itertools
import random
import sys

import numpy as np
import pytest
import torch

from lerobot.scripts import train as train_script
from lerobot.scripts.train import ResumableBatchSampler
from lerobot.utils.random_utils import get_rng_state, load_rng_state, save_rng_state, set_rng_state
from lerobot.utils.train_utils import (
    get_step_identifier,
    load_optimizer_state,
    save_optimizer_state,
    update_last_checkpoint,
)


def _cli_error(monkeypatch, capsys, args: list[str]) -> str:
    monkeypatch.setattr(sys, "argv", ["lerobot-train", *args])
    with pytest.raises(SystemExit) as exc:
        train_script.cli()
    assert exc.value.code == 2
    lines = [line for line in capsys.readouterr().err.strip().splitlines() if "error:" in line]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy.type=actt", "--dataset.repo_id=a/b"], "unknown type 'actt'; choose one of: act,"),
        (["--dataset.repo_id=a/b"], "--policy.type=<name> or --policy.path"),
        (["--policy.type=act"], "--dataset.repo_id is required"),
        (["--policy.type=act", "--dataset.repo_id=nobody/missing"], "Give a Hub dataset id that exists"),
        (["--policy.type=act", "--dataset.repo_id=a/b", "--dataset.root=/no/such/dir"], "does not exist"),
        (
            ["--policy.type=act", "--dataset.repo_id=a/b", "--eval.n_episodes=2", "--eval.batch_size=4"],
            "Use --eval.batch_size=2 or fewer",
        ),
        (["--policy.type=act", "--dataset.repo_id=a/b", "--steps=0"], "--steps must be a positive integer"),
        (
            ["--policy.type=act", "--dataset.repo_id=a/b", "--resume=true"],
            "--resume=true needs --config_path",
        ),
    ],
)
def test_bad_flags_give_one_line_errors(monkeypatch, capsys, tmp_path, args, message):
    monkeypatch.chdir(tmp_path)
    assert message in _cli_error(monkeypatch, capsys, args)


def test_unknown_policy_type_is_one_line_with_a_suggestion(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["lerobot-train", "--policy.type=difusion", "--dataset.repo_id=a/b"])
    with pytest.raises(SystemExit):
        train_script.cli()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # no argparse usage dump before the error
    assert "--policy.type" in err[0] and "Did you mean 'diffusion'?" in err[0]


def test_existing_output_dir_needs_resume(monkeypatch, capsys, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "checkpoints").mkdir()
    line = _cli_error(
        monkeypatch,
        capsys,
        ["--policy.type=act", "--dataset.repo_id=a/b", f"--output_dir={tmp_path / 'run'}"],
    )
    assert "already exists" in line and "--resume=true" in line


def test_batch_stream_resumes_and_splits_across_ranks():
    indices = list(range(10, 17))  # 7 frames: batches straddle epochs
    full = list(itertools.islice(iter(ResumableBatchSampler(indices, 3, seed=5)), 12))
    assert sorted(sum(full[:7], [])) == sorted(indices * 3)  # 21 samples = 3 whole epochs
    resumed = list(itertools.islice(iter(ResumableBatchSampler(indices, 3, seed=5, start_batch=5)), 7))
    assert resumed == full[5:]
    ranks = [list(itertools.islice(iter(ResumableBatchSampler(indices, 3, 5, 0, r, 2)), 6)) for r in (0, 1)]
    assert ranks[0] == full[0::2] and ranks[1] == full[1::2]
    assert full != list(itertools.islice(iter(ResumableBatchSampler(indices, 3, seed=6)), 12))


def test_rng_state_roundtrip(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    np.random.normal()  # leaves a cached gaussian in numpy's legacy state
    save_rng_state(tmp_path)
    expected = (random.random(), np.random.normal(), np.random.rand(), torch.rand(3))
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    load_rng_state(tmp_path)
    got = (random.random(), np.random.normal(), np.random.rand(), torch.rand(3))
    assert got[:3] == expected[:3] and torch.equal(got[3], expected[3])
    set_rng_state(get_rng_state())  # in-memory round trip is a no-op
    with pytest.raises(FileNotFoundError, match="rng_state.safetensors"):
        load_rng_state(tmp_path / "missing")


@pytest.mark.parametrize("optim_cls", [torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD])
def test_optimizer_state_roundtrip(tmp_path, optim_cls):
    def make():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
        groups = [{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.5}]
        return model, optim_cls(groups, lr=0.1)

    def step(model, opt):
        model(torch.ones(2, 3)).sum().backward()
        opt.step()
        opt.zero_grad()

    model, opt = make()
    step(model, opt)
    save_optimizer_state(opt, tmp_path)
    step(model, opt)
    expected = [p.detach().clone() for p in model.parameters()]

    model2, opt2 = make()
    step(model2, opt2)
    load_optimizer_state(opt2, tmp_path)
    step(model2, opt2)
    assert all(torch.equal(a, b) for a, b in zip(expected, model2.parameters()))


def test_step_identifier_and_last_link(tmp_path):
    assert get_step_identifier(20, 100_000) == "000020"
    assert get_step_identifier(20, 12_345_678) == "00000020"
    for name in ("000002", "000004"):
        (tmp_path / name).mkdir()
        link = update_last_checkpoint(tmp_path / name)
    assert link.resolve() == (tmp_path / "000004").resolve()
    assert link.readlink().as_posix() == "000004"
