"""Registry-wide policy tests: every registered `type` is built from dataset features, trained one step,
saved/loaded and rolled out. Small configs per type live in `registry_configs.py`.

The synthetic dataset metadata is PushT-like: a (32, 32, 3) camera, a 2-D state, a 16-D environment
state, a 2-D action and a reward, with v3-style stats (incl. quantiles) for every feature.
"""

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType
from lerobot.policies.factory import get_policy_class, make_policy, make_policy_config
from lerobot.policies.pretrained import PreTrainedPolicy
from tests.policies.registry_configs import SMALL_CONFIGS

POLICIES_DIR = Path(__file__).resolve().parents[2] / "lerobot" / "policies"
EXPECTED_FILES = {
    "config.json",
    "model.safetensors",
    "policy_preprocessor.json",
    "policy_postprocessor.json",
    "policy_preprocessor_step_3_normalizer_processor.safetensors",
    "policy_postprocessor_step_0_unnormalizer_processor.safetensors",
}
B = 2


class FakeMeta:
    """The two attributes `make_policy` reads from a LeRobotDatasetMetadata."""

    def __init__(self, inputs: list[str]):
        all_features = {
            "observation.image": {
                "dtype": "video",
                "shape": [32, 32, 3],
                "names": ["height", "width", "channels"],
            },
            "observation.state": {"dtype": "float32", "shape": [2], "names": None},
            "observation.environment_state": {"dtype": "float32", "shape": [16], "names": None},
            "action": {"dtype": "float32", "shape": [2], "names": None},
            "next.reward": {"dtype": "float32", "shape": [1], "names": None},
            "timestamp": {"dtype": "float32", "shape": [1], "names": None},
            "index": {"dtype": "int64", "shape": [1], "names": None},
        }
        keep = set(inputs) | {"action", "next.reward", "timestamp", "index"}
        self.features = {k: v for k, v in all_features.items() if k in keep}
        rng = np.random.default_rng(0)
        self.stats = {}
        for key, ft in self.features.items():
            shape = (3, 1, 1) if ft["dtype"] == "video" else tuple(ft["shape"])
            lo = rng.uniform(-1, 0, shape).astype(np.float32) * (1 if ft["dtype"] == "video" else 100)
            hi = lo + rng.uniform(1, 2, shape).astype(np.float32) * (1 if ft["dtype"] == "video" else 100)
            self.stats[key] = {
                "min": lo,
                "max": hi,
                "mean": (lo + hi) / 2,
                "std": (hi - lo) / 4,
                "count": np.array([100], dtype=np.int64),
                **{
                    q: lo + (hi - lo) * f
                    for q, f in [("q01", 0.01), ("q10", 0.1), ("q50", 0.5), ("q90", 0.9), ("q99", 0.99)]
                },
            }


def _types_with_models() -> list:
    """Every policy folder; one whose config is not registered or model not written yet is skipped."""
    params = []
    for name in PreTrainedConfig.known_types():
        reason = None
        if not (POLICIES_DIR / name / f"modeling_{name}.py").is_file():
            reason = f"{name}: modeling_{name}.py not written yet"
        else:
            try:
                PreTrainedConfig.get_config_class(name)
            except ValueError:
                reason = f"{name}: configuration_{name}.py does not register the config yet"
        params.append(pytest.param(name, marks=pytest.mark.skip(reason=reason)) if reason else name)
    return params


_BUILT: dict[str, PreTrainedPolicy] = {}


def _make(policy_type: str) -> PreTrainedPolicy:
    """A fresh copy of the small policy of this type, built once with `make_policy` from the fake meta."""
    if policy_type not in SMALL_CONFIGS:
        pytest.fail(f"Add a small config for '{policy_type}' to tests/policies/registry_configs.py.")
    if policy_type not in _BUILT:
        entry = SMALL_CONFIGS[policy_type]
        meta = FakeMeta(entry["inputs"])
        cfg = make_policy_config(policy_type, device="cpu", push_to_hub=False, **entry["overrides"])
        torch.manual_seed(0)
        _BUILT[policy_type] = make_policy(cfg, ds_meta=meta)
    return copy.deepcopy(_BUILT[policy_type])


def _value(key: str, ft, lead: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    shape = lead + tuple(ft.shape)
    if ft.type is FeatureType.VISUAL:
        return torch.rand(shape, generator=gen)
    return torch.randn(shape, generator=gen) * 50 + 10


def _observation(policy: PreTrainedPolicy, seed: int) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return {k: _value(k, ft, (B,), gen) for k, ft in policy.config.input_features.items()}


def _training_batch(policy: PreTrainedPolicy) -> dict:
    cfg = policy.config
    gen = torch.Generator().manual_seed(1)
    batch = {}
    obs_t = cfg.observation_delta_indices
    for k, ft in cfg.input_features.items():
        lead = (B,) if obs_t is None else (B, len(obs_t))
        batch[k] = _value(k, ft, lead, gen)
        if obs_t is not None:
            batch[f"{k}_is_pad"] = torch.zeros((B, len(obs_t)), dtype=torch.bool)
    act_t = cfg.action_delta_indices
    lead = (B,) if act_t is None else (B, len(act_t))
    batch["action"] = _value("action", cfg.output_features["action"], lead, gen)
    if act_t is not None:
        pad = torch.zeros((B, len(act_t)), dtype=torch.bool)
        pad[0, -1] = True
        batch["action_is_pad"] = pad
    rew_t = cfg.reward_delta_indices
    if rew_t is not None:
        batch["next.reward"] = torch.randn((B, len(rew_t)), generator=gen)
        batch["next.reward_is_pad"] = torch.zeros((B, len(rew_t)), dtype=torch.bool)
    batch["index"] = torch.arange(B)
    return batch


@pytest.fixture(params=_types_with_models())
def policy_type(request):
    return request.param


def test_registry_lookup(policy_type):
    cls = get_policy_class(policy_type)
    assert cls.name == policy_type
    assert cls.config_class is PreTrainedConfig.get_config_class(policy_type)
    assert cls.config_class().type == policy_type


def test_build_forward_backward_and_optimizer_step(policy_type):
    policy = _make(policy_type)
    cfg = policy.config
    assert set(cfg.output_features) == {"action"}
    assert set(cfg.input_features) == set(SMALL_CONFIGS[policy_type]["inputs"])
    assert not [k for k in policy.state_dict() if k.startswith(("normalize_", "unnormalize_"))]
    policy.train()
    torch.manual_seed(0)
    loss, info = policy.forward(_training_batch(policy))
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert info is None or all(np.isfinite(float(v)) for v in info.values() if isinstance(v, (int, float)))
    optimizer = cfg.get_optimizer_preset().build(policy.get_optim_params())
    loss.backward()
    grads = [p.grad for p in policy.parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)
    scheduler_cfg = cfg.get_scheduler_preset()
    scheduler = None if scheduler_cfg is None else scheduler_cfg.build(optimizer, num_training_steps=10)
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] or 1e-3  # a preset may start at lr 0 (diffusers cosine warm-up)
    before = {n: p.detach().clone() for n, p in policy.named_parameters() if p.grad is not None}
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    changed = [n for n, p in policy.named_parameters() if n in before and not torch.equal(before[n], p)]
    assert changed


def test_missing_feature_in_batch_is_named(policy_type):
    policy = _make(policy_type)
    obs = _observation(policy, 0)
    missing = next(iter(policy.config.input_features))
    del obs[missing]
    with pytest.raises(KeyError, match=missing.replace(".", r"\.")):
        policy.select_action(obs)


def test_select_action_over_episodes_with_reset(policy_type):
    policy = _make(policy_type)
    policy.eval()
    n_steps = 4

    def episode():
        policy.reset()
        actions = []
        for t in range(n_steps):
            torch.manual_seed(t)
            actions.append(policy.select_action(_observation(policy, t)))
        return torch.stack(actions)

    first = episode()
    assert first.shape == (n_steps, B, policy.config.output_features["action"].shape[0])
    assert torch.isfinite(first).all()
    # Env-space actions: scale of the action stats (min/max ~ +-100), not of the normalized [-1, 1] range.
    second = episode()
    torch.testing.assert_close(first, second, rtol=0, atol=0)


def test_save_load_round_trip(policy_type, tmp_path):
    policy = _make(policy_type)
    policy.eval()
    policy.save_pretrained(tmp_path / "ckpt")
    assert {p.name for p in (tmp_path / "ckpt").iterdir()} == EXPECTED_FILES
    with safe_open(str(tmp_path / "ckpt" / "model.safetensors"), "pt") as f:
        assert set(f.keys()) == set(policy.state_dict())
    config = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert next(iter(config)) == "type" and config["type"] == policy_type
    pre = json.loads((tmp_path / "ckpt" / "policy_preprocessor.json").read_text())
    assert [s["registry_name"] for s in pre["steps"]] == [
        "rename_observations_processor",
        "to_batch_processor",
        "device_processor",
        "normalizer_processor",
    ]
    with safe_open(
        str(tmp_path / "ckpt" / "policy_preprocessor_step_3_normalizer_processor.safetensors"), "pt"
    ) as f:
        # All dataset stats, float32, like the reference (also `count` and non-policy features).
        assert "index.count" in set(f.keys())
        assert all(f.get_tensor(k).dtype == torch.float32 for k in f.keys())  # noqa: SIM118

    loaded = PreTrainedPolicy.from_pretrained(tmp_path / "ckpt")
    assert type(loaded) is type(policy)
    assert loaded.config.to_dict() | {"pretrained_path": None} == policy.config.to_dict()
    for k, v in policy.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[k], v, rtol=0, atol=0)
    for i in range(2):
        obs = _observation(policy, 10 + i)
        torch.manual_seed(i)
        a = policy.select_action(obs)
        torch.manual_seed(i)
        b = loaded.select_action(obs)
        torch.testing.assert_close(a, b, rtol=0, atol=0)

    # A second save of the loaded policy is byte-identical in weights and stats.
    loaded.save_pretrained(tmp_path / "again")
    for name in ("model.safetensors", "policy_preprocessor_step_3_normalizer_processor.safetensors"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "ckpt" / name).read_bytes()


def test_load_rejects_tampered_weights(policy_type, tmp_path):
    from safetensors.torch import load_file, save_file

    from lerobot.policies.pretrained import CheckpointMismatchError

    policy = _make(policy_type)
    policy.save_pretrained(tmp_path / "ckpt")
    weights = load_file(str(tmp_path / "ckpt" / "model.safetensors"))
    first, second = list(weights)[:2]
    weights.pop(first)
    weights["model.extra.weight"] = torch.zeros(1)
    weights[second] = torch.zeros(weights[second].numel() + 1)
    shutil.copytree(tmp_path / "ckpt", tmp_path / "bad")
    save_file(weights, str(tmp_path / "bad" / "model.safetensors"))
    with pytest.raises(CheckpointMismatchError) as err:
        PreTrainedPolicy.from_pretrained(tmp_path / "bad")
    msg = str(err.value)
    assert first in msg and "model.extra.weight" in msg and second in msg
