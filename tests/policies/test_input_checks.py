"""Bad batches and bad checkpoints are named before any computation (lerobot/policies/pretrained.py,
normalize.py, utils.py): the key / file, what was expected and what was given."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest
import torch
from safetensors.torch import save_file

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.factory import get_policy_class, make_policy_config
from lerobot.policies.pretrained import PreTrainedPolicy
from tests.policies.registry_configs import SMALL_CONFIGS

FEATURES = {
    "observation.image": PolicyFeature(FeatureType.VISUAL, (3, 32, 32)),
    "observation.state": PolicyFeature(FeatureType.STATE, (2,)),
    "observation.environment_state": PolicyFeature(FeatureType.ENV, (4,)),
}
ACTION_FT = {"action": PolicyFeature(FeatureType.ACTION, (2,))}
# Per-channel (C, 1, 1) stats for the camera, as datasets give them (docs/dataset_format.md).
STATS = {
    k: {"mean": torch.zeros(ft.shape[:1] + (1,) * (len(ft.shape) - 1)),
        "std": torch.ones(ft.shape[:1] + (1,) * (len(ft.shape) - 1)),
        "min": -torch.ones(ft.shape[:1] + (1,) * (len(ft.shape) - 1)),
        "max": torch.ones(ft.shape[:1] + (1,) * (len(ft.shape) - 1))}
    for k, ft in {**FEATURES, **ACTION_FT}.items()
}  # fmt: skip


def make(policy_type: str) -> PreTrainedPolicy:
    small = SMALL_CONFIGS[policy_type]
    cfg = make_policy_config(policy_type, device="cpu", **small["overrides"])
    cfg.input_features = {k: FEATURES[k] for k in small["inputs"]}
    cfg.output_features = dict(ACTION_FT)
    cfg.validate_features()
    return get_policy_class(policy_type)(cfg, dataset_stats=STATS)


def observation(policy: PreTrainedPolicy, batch_size: int = 2) -> dict[str, torch.Tensor]:
    return {k: torch.rand(batch_size, *ft.shape) for k, ft in policy.config.input_features.items()}


@pytest.fixture(scope="module")
def act() -> PreTrainedPolicy:
    return make("act").eval()


@pytest.mark.parametrize("policy_type", sorted(SMALL_CONFIGS))
def test_select_action_names_a_wrongly_shaped_observation(policy_type):
    """The case the issue met: a matmul error naming nothing. Every registered policy now says which key."""
    policy = make(policy_type).eval()
    batch = observation(policy)
    batch["observation.state"] = torch.rand(2, 5)
    with pytest.raises(
        ValueError, match=r"batch\['observation.state'\] has shape \[2, 5\]; expected \(B, 2\)"
    ):
        policy.select_action(batch)


def test_missing_key_is_named(act):
    batch = observation(act)
    del batch["observation.image"]
    with pytest.raises(KeyError, match=r"missing \['observation.image'\]"):
        act.select_action(batch)


def test_observation_without_batch_dimension_says_to_add_it(act):
    batch = {k: v[0] for k, v in observation(act).items()}
    with pytest.raises(
        ValueError, match=r"batch\['observation.image'\] has shape \[3, 32, 32\].*unsqueeze\(0\)"
    ):
        act.predict_action_chunk(batch)


def test_image_of_the_wrong_size_names_the_expected_shape(act):
    batch = observation(act)
    batch["observation.image"] = torch.rand(2, 3, 48, 48)
    with pytest.raises(
        ValueError, match=r"'observation.image'\] has shape \[2, 3, 48, 48\]; expected \(B, 3, 32, 32\)"
    ):
        act.select_action(batch)


def test_uint8_camera_frames_are_taken_as_x_over_255_and_uint8_state_is_refused(act):
    """The training DataLoader sends camera frames as uint8 (lerobot/datasets/loading.py); the normalizer
    turns them into x / 255, so the action equals the one from the float frames."""
    batch = observation(act)
    frames = (batch["observation.image"] * 255).to(torch.uint8)
    act.reset()
    from_float = act.select_action({**batch, "observation.image": frames.float() / 255})
    act.reset()
    from_uint8 = act.select_action({**batch, "observation.image": frames})
    torch.testing.assert_close(from_uint8, from_float, rtol=0, atol=0)
    batch["observation.state"] = batch["observation.state"].to(torch.uint8)
    with pytest.raises(
        TypeError,
        match=r"'observation.state'\] has dtype torch.uint8; expected a float.*camera features only",
    ):
        act.select_action(batch)


def test_nan_is_refused_naming_the_key(act):
    batch = observation(act)
    batch["observation.state"][1, 0] = float("nan")
    with pytest.raises(ValueError, match=r"batch\['observation.state'\] holds 1 NaN/inf"):
        act.select_action(batch)


def test_numpy_array_instead_of_tensor(act):
    batch = observation(act)
    batch["observation.state"] = batch["observation.state"].numpy()
    with pytest.raises(TypeError, match=r"batch\['observation.state'\] must be a torch.Tensor.*got ndarray"):
        act.select_action(batch)


def test_batch_sizes_must_agree(act):
    batch = observation(act)
    batch["observation.state"] = torch.rand(3, 2)
    with pytest.raises(ValueError, match=r"'observation.state'\] has batch size 3 but .* has 2"):
        act.select_action(batch)


def test_forward_checks_the_action_too(act):
    batch = observation(act)
    batch["action"] = torch.rand(2, 6, 3)  # action dim 3 instead of 2
    batch["action_is_pad"] = torch.zeros(2, 6, dtype=torch.bool)
    with pytest.raises(
        ValueError, match=r"batch\['action'\] has shape \[2, 6, 3\]; expected \(B, 2\).*output"
    ):
        act.forward(batch)
    batch["action"] = torch.full((2, 6, 2), float("inf"))
    with pytest.raises(ValueError, match=r"batch\['action'\] holds 24 NaN/inf"):
        act.forward(batch)


def test_select_action_refuses_a_time_dimension(act):
    batch = {k: v.unsqueeze(1) for k, v in observation(act).items()}  # (B, 1, ...)
    with pytest.raises(ValueError, match=r"'observation.image'\] has shape \[2, 1, 3, 32, 32\]"):
        act.select_action(batch)


# ----- checkpoints -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, act):
    return act.save_pretrained(tmp_path_factory.mktemp("ckpt") / "pretrained_model")


def copy_of(checkpoint, tmp_path):
    dst = tmp_path / "pretrained_model"
    shutil.copytree(checkpoint, dst)
    return dst


def test_checkpoint_loads(checkpoint):
    policy = PreTrainedPolicy.from_pretrained(checkpoint)
    assert policy.config.type == "act"


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"", "an empty file"),
        (pickle.dumps({"w": [1.0, 2.0]}, protocol=4), "a Python pickle"),
        (b"PK\x03\x04" + b"\0" * 64, "a zip archive: a pickled torch.save checkpoint"),
        (b'{"not": "safetensors"}', "a JSON/text file"),
        (b"\x01\x02\x03", "truncated"),
    ],
)
def test_weights_that_are_not_safetensors_are_named(checkpoint, tmp_path, content, looks_like):
    ckpt = copy_of(checkpoint, tmp_path)
    (ckpt / "model.safetensors").write_bytes(content)
    with pytest.raises(ValueError, match="model.safetensors") as e:
        PreTrainedPolicy.from_pretrained(ckpt)
    assert looks_like in str(e.value) and str(ckpt) in str(e.value)


def test_truncated_weights_are_named(checkpoint, tmp_path):
    ckpt = copy_of(checkpoint, tmp_path)
    data = (ckpt / "model.safetensors").read_bytes()
    (ckpt / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"model.safetensors \(the policy weights\) is truncated"):
        PreTrainedPolicy.from_pretrained(ckpt)


@pytest.mark.parametrize("reference", ["../x.safetensors", "/etc/passwd", "sub/x.safetensors", "", "..", 3])
def test_state_file_outside_the_checkpoint_is_refused(checkpoint, tmp_path, reference):
    ckpt = copy_of(checkpoint, tmp_path)
    save_file({"x": torch.zeros(1)}, str(tmp_path / "x.safetensors"))  # would be read if followed
    pipeline = ckpt / "policy_preprocessor.json"
    data = json.loads(pipeline.read_text())
    step = next(s for s in data["steps"] if "state_file" in s)
    step["state_file"] = reference
    pipeline.write_text(json.dumps(data))
    with pytest.raises(
        ValueError, match=r"policy_preprocessor.json: state_file .* does not name a file inside"
    ):
        PreTrainedPolicy.from_pretrained(ckpt)


def test_corrupt_state_file_is_named(checkpoint, tmp_path):
    ckpt = copy_of(checkpoint, tmp_path)
    state = next(ckpt.glob("policy_postprocessor_step_0_*.safetensors"))
    state.write_bytes(b"")
    with pytest.raises(
        ValueError, match=rf"{state.name} \(the state file named in policy_postprocessor.json\) is an empty"
    ):
        PreTrainedPolicy.from_pretrained(ckpt)


@pytest.mark.parametrize(
    ("key", "value", "declared"),
    [("chunk_size", "abc", "int"), ("dim_model", 1.5, "int"), ("use_vae", "maybe", "bool"),
     ("optimizer_lr", "fast", "float"), ("input_features", [1], "dict")],
)  # fmt: skip
def test_config_json_with_a_wrong_type_names_the_field(checkpoint, tmp_path, key, value, declared):
    ckpt = copy_of(checkpoint, tmp_path)
    config = json.loads((ckpt / "config.json").read_text())
    config[key] = value
    (ckpt / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=rf"config.json: field '{key}' has a value of the wrong type") as e:
        PreTrainedPolicy.from_pretrained(ckpt)
    assert f"ACTConfig.{key} is declared as {declared}" in str(e.value)


def test_finite_half_precision_batch_whose_sum_overflows_passes(act):
    """The NaN check's fast path sums the values: a float16 sum overflows to inf on big finite inputs,
    which must not be reported as NaN/inf."""
    batch = {
        k: torch.full((2, *ft.shape), 60000.0, dtype=torch.float16)
        for k, ft in act.config.input_features.items()
    }
    act._check_inputs(batch)  # no error
    batch["observation.state"][0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"batch\['observation.state'\] holds 1 NaN/inf"):
        act._check_inputs(batch)
