"""The newcomer stumbles of the error-conventions issue: the obs_type that provides missing features, no
output folder left by a run that failed before starting, absolute paths in train_config.json, numeric config
fields named, a policy built from a dataset with features it cannot take."""

from __future__ import annotations

import json
import logging

import pytest

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.envs.configs import PushtEnv


def test_eval_suggests_the_obs_type_providing_the_missing_features():
    from lerobot.envs.utils import check_policy_features_match_env

    keypoints = {
        "observation.environment_state": PolicyFeature(FeatureType.ENV, (16,)),
        "observation.state": PolicyFeature(FeatureType.STATE, (2,)),
    }
    with pytest.raises(ValueError) as e:
        check_policy_features_match_env(keypoints, PushtEnv())
    message = str(e.value)
    assert "'observation.environment_state' (shape [16]) is not provided" in message
    assert "Pass --env.obs_type=environment_state_agent_pos, which provides them." in message
    with pytest.raises(ValueError) as e:  # nothing provides a 7-D state: no suggestion
        check_policy_features_match_env(
            {"observation.state": PolicyFeature(FeatureType.STATE, (7,))}, PushtEnv()
        )
    assert "--env.obs_type=" not in str(e.value)


def test_eval_that_fails_before_starting_leaves_no_output_folder(tmp_path, monkeypatch, capsys):
    from lerobot.policies.factory import make_policy, make_policy_config
    from lerobot.scripts.eval import cli

    cfg = make_policy_config("act", device="cpu", dim_model=16, n_heads=2, dim_feedforward=16, chunk_size=2,
                             n_action_steps=2, n_encoder_layers=1, n_decoder_layers=1, n_vae_encoder_layers=1,
                             pretrained_backbone_weights=None)  # fmt: skip
    make_policy(cfg, env_cfg=PushtEnv(obs_type="environment_state_agent_pos")).save_pretrained(
        tmp_path / "ckpt"
    )
    out = tmp_path / "eval_out"
    argv = ["lerobot-eval", f"--policy.path={tmp_path / 'ckpt'}", "--env.type=pusht", "--eval.n_episodes=1",
            "--eval.batch_size=1", f"--output_dir={out}"]  # fmt: skip
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as e:
        cli()
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1
    assert "--env.obs_type=environment_state_agent_pos" in err[0]
    assert not out.exists()


def test_train_config_saves_absolute_paths(tmp_path, monkeypatch):
    from lerobot.configs.parser import parse
    from lerobot.configs.train import TrainPipelineConfig

    monkeypatch.chdir(tmp_path)
    cfg = parse(TrainPipelineConfig, ["--policy.type=act", "--dataset.repo_id=me/ds", "--dataset.root=data/ds",
                                      "--output_dir=outputs/run"])  # fmt: skip
    saved = cfg.to_dict()
    assert saved["dataset"]["root"] == str(tmp_path / "data/ds")
    assert saved["output_dir"] == str(tmp_path / "outputs/run")
    # Read back from another working directory: the same folders.
    (tmp_path / "train_config.json").write_text(json.dumps(saved))
    monkeypatch.chdir(tmp_path.parent)
    again = parse(TrainPipelineConfig, [f"--config_path={tmp_path / 'train_config.json'}"])
    assert again.dataset.root == str(tmp_path / "data/ds") and again.output_dir == tmp_path / "outputs/run"


@pytest.mark.parametrize(
    ("policy_type", "kwargs", "message"),
    [
        ("act", {"dropout": 1.5}, r"dropout must be in \[0, 1\], got 1.5 \(ACTConfig.dropout\)"),
        ("act", {"kl_weight": -1.0}, r"kl_weight must be >= 0"),
        ("act", {"dim_model": 0}, r"dim_model must be > 0, got 0"),
        ("diffusion", {"down_dims": (8, -1)}, r"down_dims must be made of numbers > 0"),
        ("diffusion", {"beta_end": float("nan")}, r"beta_end must be a finite number, got nan"),
        ("tdmpc", {"discount": 1.2}, r"discount must be in \[0, 1\]"),
        ("tdmpc", {"min_std": 0.0}, r"min_std must be > 0"),
        ("vqbet", {"gpt_n_layer": 0}, r"gpt_n_layer must be > 0"),
        (
            "vqbet",
            {"bet_softmax_temperature": float("inf")},
            r"bet_softmax_temperature must be a finite number",
        ),
    ],
)
def test_numeric_policy_fields_are_validated_naming_the_field(policy_type, kwargs, message):
    from lerobot.policies.factory import make_policy_config

    with pytest.raises(ValueError, match=message):
        make_policy_config(policy_type, device="cpu", **kwargs)


@pytest.mark.parametrize(
    ("flag", "message"),
    [("--dataset.fps=0", "--dataset.fps must be > 0"), ("--dataset.reset_time_s=-1", "--dataset.reset_time_s must be >= 0"),
     ("--dataset.num_episodes=0", "--dataset.num_episodes must be > 0")],
)  # fmt: skip
def test_record_numbers_name_the_flag(flag, message):
    from lerobot.configs.parser import parse
    from lerobot.scripts.lerobot_record import RecordConfig

    args = ["--robot.type=so100_follower", "--robot.port=/dev/null", "--teleop.type=so100_leader",
            "--teleop.port=/dev/null", "--dataset.repo_id=a/b", "--dataset.single_task=t", flag]  # fmt: skip
    with pytest.raises(ValueError, match=message):
        parse(RecordConfig, args)


PUSHT_KEYPOINTS = {
    "observation.image": {"dtype": "video", "shape": [96, 96, 3], "names": ["height", "width", "channels"]},
    "observation.state": {"dtype": "float32", "shape": [2], "names": None},
    "observation.environment_state": {"dtype": "float32", "shape": [16], "names": None},
    "action": {"dtype": "float32", "shape": [2], "names": None},
}


def test_vqbet_from_a_dataset_leaves_out_what_it_cannot_take(caplog):
    from types import SimpleNamespace

    from lerobot.policies.factory import make_policy, make_policy_config
    from tests.policies.registry_configs import SMALL_CONFIGS

    meta = SimpleNamespace(features=PUSHT_KEYPOINTS, stats=None)
    with caplog.at_level(logging.WARNING):
        policy = make_policy(
            make_policy_config("vqbet", device="cpu", **SMALL_CONFIGS["vqbet"]["overrides"]), ds_meta=meta
        )
    assert set(policy.config.input_features) == {"observation.image", "observation.state"}
    lines = [r.getMessage() for r in caplog.records if "cannot take" in r.getMessage()]
    assert lines == [
        "The vqbet policy cannot take ['observation.environment_state'] as inputs: left out of its input features."
    ]
    # Listed explicitly, they stay an error.
    cfg = make_policy_config("vqbet", device="cpu", **SMALL_CONFIGS["vqbet"]["overrides"])
    cfg.input_features = {
        k: PolicyFeature(FeatureType.ENV if "environment" in k else FeatureType.STATE if "state" in k else FeatureType.VISUAL,
                         tuple(v["shape"]) if "image" not in k else (3, 96, 96))
        for k, v in PUSHT_KEYPOINTS.items() if k != "action"
    }  # fmt: skip
    with pytest.raises(ValueError, match=r"remove \['observation.environment_state'\] from input_features"):
        make_policy(cfg, ds_meta=meta)


def test_record_into_an_existing_dataset_folder_says_resume_and_keeps_it(tmp_path, capsys):
    from lerobot.scripts import lerobot_record

    root = tmp_path / "ds"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "info.json").write_text("{}")
    with pytest.raises(SystemExit) as e:
        lerobot_record.main(["--robot.type=so100_follower", "--robot.port=/dev/null", "--teleop.type=so100_leader",
                             "--teleop.port=/dev/null", "--dataset.repo_id=a/b", "--dataset.single_task=t",
                             f"--dataset.root={root}", "--keyboard=none"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1
    assert f"The dataset folder {root} already exists" in err[0] and "--resume=true" in err[0]
    assert (root / "meta" / "info.json").read_text() == "{}"  # nothing saved is touched


def test_replay_of_an_episode_out_of_range_names_it(tmp_path, capsys):
    from lerobot.scripts import lerobot_replay
    from tests.datasets.factories import make_dataset

    root = make_dataset(
        tmp_path / "ds", n_episodes=2, episode_length=3, use_videos=False, camera_shape=(8, 8, 3)
    )
    with pytest.raises(SystemExit) as e:
        lerobot_replay.main(["--robot.type=so100_follower", "--robot.port=/dev/null", "--dataset.repo_id=me/ds",
                             f"--dataset.root={root}", "--dataset.episode=7"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and "Episode 7 is not in" in err[0]
