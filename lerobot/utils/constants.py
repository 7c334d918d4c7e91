"""Names shared across the code base: feature keys, file names and default locations.

Feature keys are the contract between datasets, policies, environments and robots; use these constants
instead of string literals.
"""

import os
from pathlib import Path

# Feature keys
OBS_PREFIX = "observation."
OBS_STATE = "observation.state"
OBS_ENV_STATE = "observation.environment_state"
OBS_IMAGE = "observation.image"
OBS_IMAGES = "observation.images"
ACTION = "action"
REWARD = "next.reward"
DONE = "next.done"
SUCCESS = "next.success"
TASK = "task"

# Bookkeeping features every dataset carries.
DEFAULT_FEATURE_KEYS = ("timestamp", "frame_index", "episode_index", "index", "task_index")

# Pretrained-model files
CONFIG_NAME = "config.json"
SAFETENSORS_SINGLE_FILE = "model.safetensors"
PREPROCESSOR_NAME = "policy_preprocessor"
POSTPROCESSOR_NAME = "policy_postprocessor"

# Training run layout
CHECKPOINTS_DIR = "checkpoints"
LAST_CHECKPOINT_LINK = "last"
PRETRAINED_MODEL_DIR = "pretrained_model"
TRAINING_STATE_DIR = "training_state"
TRAIN_CONFIG_NAME = "train_config.json"


def _hf_lerobot_home() -> Path:
    if "LEROBOT_HOME" in os.environ:
        raise ValueError(
            "The environment variable LEROBOT_HOME is no longer used: set HF_LEROBOT_HOME instead "
            f"(current LEROBOT_HOME={os.environ['LEROBOT_HOME']!r})."
        )
    default = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "lerobot"
    return Path(os.environ.get("HF_LEROBOT_HOME", default)).expanduser()


def hf_lerobot_home() -> Path:
    """`$HF_LEROBOT_HOME`, default `~/.cache/huggingface/lerobot` (read at call time, so tests can set it)."""
    return _hf_lerobot_home()
