"""docs/contributing.md followed for a policy defined outside the package (tests/plugins/lerobot_policy_toy):
found by name with no import (an installed `lerobot_policy_*` package), trained for two steps by the
train CLI with `--policy.type=toy` on a generated dataset, its checkpoint loaded back; built in process by
`make_policy`, saved and loaded back; and `--<field>.discover_packages_path` for a plugin of another name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lerobot.configs.policies import PreTrainedConfig
from lerobot.envs.configs import EnvConfig
from lerobot.registry import POLICIES
from lerobot.utils.cli import UsageError
from lerobot.utils.constants import ACTION, OBS_STATE

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "tests" / "plugins"
FEATURES = {
    OBS_STATE: {"dtype": "float32", "shape": [3], "names": ["a", "b", "c"]},
    ACTION: {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
}


def _forget(module_prefix: str, *names: str) -> None:
    for name in names:
        PreTrainedConfig.unregister_subclass(name)
    for module in [m for m in sys.modules if m.split(".")[0] == module_prefix]:
        del sys.modules[module]
    POLICIES._plugins_imported.discard(module_prefix)


@pytest.fixture
def toy_on_path(monkeypatch):
    """tests/plugins on sys.path for this test only; the toy type and its modules forgotten afterwards
    (other tests check that every registered policy is one of the built-in ones)."""
    assert "toy" not in POLICIES.names()
    monkeypatch.syspath_prepend(str(PLUGINS))
    yield
    _forget("lerobot_policy_toy", "toy")


@pytest.fixture(scope="module")
def state_dataset(tmp_path_factory) -> Path:
    from tests.datasets.factories import make_dataset

    root = tmp_path_factory.mktemp("toy") / "state_only"
    return make_dataset(root, n_episodes=2, episode_length=8, fps=10, features=FEATURES, use_videos=False)


def test_toy_policy_trains_through_the_cli_and_loads_back(toy_on_path, state_dataset, tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    env |= {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    args = [f"--dataset.repo_id=local/{state_dataset.name}", f"--dataset.root={state_dataset}"]
    args += [
        "--policy.type=toy",
        "--policy.hidden_dim=8",
        "--policy.device=cpu",
        "--policy.push_to_hub=false",
    ]
    args += [
        "--num_workers=0",
        "--batch_size=4",
        "--steps=2",
        "--save_freq=2",
        "--log_freq=1",
        f"--output_dir={out}",
    ]
    cmd = [sys.executable, str(REPO / "lerobot" / "scripts" / "train.py"), *args]
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "step:2" in res.stderr and "mse:" in res.stderr
    pretrained = out / "checkpoints" / "000002" / "pretrained_model"

    # In this process nothing imported the plugin: the registry finds it by its package name.
    assert "lerobot_policy_toy" not in sys.modules
    assert "toy" in PreTrainedConfig.known_types()
    from lerobot.policies.pretrained import PreTrainedPolicy

    policy = PreTrainedPolicy.from_pretrained(pretrained)
    assert type(policy).__name__ == "ToyPolicy" and policy.config.hidden_dim == 8
    saved = load_file(pretrained / "model.safetensors")
    assert set(saved) == set(policy.state_dict())
    for key, tensor in policy.state_dict().items():
        assert torch.equal(tensor, saved[key]), key
    action = policy.select_action({OBS_STATE: torch.zeros(1, 3)})
    assert action.shape == (1, 2) and torch.isfinite(action).all()


def test_toy_policy_built_by_make_policy_saves_and_loads_back(toy_on_path, state_dataset, tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.policies.factory import get_policy_class, make_policy, make_policy_config

    dataset = LeRobotDataset(f"local/{state_dataset.name}", root=state_dataset)
    policy = make_policy(make_policy_config("toy", device="cpu", hidden_dim=4), ds_meta=dataset.meta)
    assert list(policy.config.input_features) == [OBS_STATE]
    item = dataset[0]
    batch = {k: item[k][None] for k in (OBS_STATE, ACTION)}
    loss, info = policy.forward(batch)
    loss.backward()
    assert info["mse"] > 0

    policy.save_pretrained(tmp_path / "toy")
    loaded = get_policy_class("toy").from_pretrained(tmp_path / "toy")
    obs = {OBS_STATE: batch[OBS_STATE]}
    assert torch.equal(loaded.select_action(obs), policy.select_action(obs))
    for key, stats in policy.stats.items():
        for name, value in stats.items():
            assert torch.equal(loaded.stats[key][name], value), (key, name)


def test_discover_packages_path_imports_a_plugin_of_any_name(tmp_path, monkeypatch):
    from lerobot.configs.parser import parse
    from tests.test_registry import Cli

    package = tmp_path / "my_sim_envs"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from dataclasses import dataclass\n"
        "from lerobot.envs.configs import EnvConfig, PushtEnv\n\n\n"
        '@EnvConfig.register_subclass("pusht_copy")\n'
        "@dataclass\n"
        "class PushtCopy(PushtEnv):\n"
        '    """PushT under another name."""\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ValueError, match="--env.type: unknown type 'pusht_copy'"):
            parse(Cli, ["--env.type=pusht_copy"])
        cfg = parse(Cli, ["--env.discover_packages_path=my_sim_envs", "--env.type=pusht_copy"])
        assert type(cfg.env).__name__ == "PushtCopy" and cfg.env.type == "pusht_copy"
        with pytest.raises(UsageError, match="--env.discover_packages_path: cannot import 'no_such_pkg'"):
            parse(Cli, ["--env.discover_packages_path=no_such_pkg"])
    finally:
        EnvConfig.unregister_subclass("pusht_copy")
        sys.modules.pop("my_sim_envs", None)
