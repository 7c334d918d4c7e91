"""The configs of `lerobot-record`, `lerobot-replay` and `lerobot-teleoperate`: their flags (field comments
are the `--help` text, lerobot/configs/parser.py) and their checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import check_numbers
from lerobot.robots import RobotConfig
from lerobot.teleoperators import TeleoperatorConfig
from lerobot.utils.visualization_utils import DisplayFlags


@dataclass
class DatasetRecordConfig:
    # Dataset name `<user>/<name>`; stored in `root` (default $HF_LEROBOT_HOME/<repo_id>).
    repo_id: str
    # The task, in words, stored with every frame.
    single_task: str
    # Local dataset folder (default: $HF_LEROBOT_HOME/<repo_id>).
    root: Path | None = None
    # Frames per second recorded (the control loop rate).
    fps: int = 30
    # Seconds recorded per episode.
    episode_time_s: float = 60
    # Seconds to reset the scene between episodes (not recorded).
    reset_time_s: float = 60
    # Number of episodes to record.
    num_episodes: int = 50
    # Encode cameras to mp4 (True) or keep PNG images (False).
    video: bool = True
    # Upload to the Hugging Face Hub at the end (needs `huggingface-cli login`).
    push_to_hub: bool = True
    # Create the Hub repository as private.
    private: bool = False
    # Tags of the Hub dataset card.
    tags: list[str] | None = None
    # Processes writing camera frames to disk (0: threads only).
    num_image_writer_processes: int = 0
    # Threads writing camera frames to disk, per camera.
    num_image_writer_threads_per_camera: int = 4
    # Video codec (default: the dataset writer's, AV1 libsvtav1); e.g. h264 encodes faster.
    vcodec: str | None = None
    # Encode camera frames while recording (one encoder thread per camera) instead of at save time.
    streaming_encoding: bool = False
    # Nice level (> 0: lower priority) of the background saver/encoder threads, so that encoding does not
    # starve the control loop on a small machine.
    encoder_niceness: int = 0

    def __post_init__(self):
        check_numbers(
            self,
            positive=("fps", "episode_time_s", "num_episodes", "num_image_writer_threads_per_camera"),
            non_negative=("reset_time_s", "num_image_writer_processes"),
            flag_prefix="--dataset.",
        )


@dataclass
class RecordConfig(DisplayFlags):  # --display_* flags: the Rerun display, warm-up and resets included
    robot: RobotConfig
    dataset: DatasetRecordConfig
    # The teleoperator giving the actions (during the episodes unless a policy drives, and during resets).
    teleop: TeleoperatorConfig | None = None
    # A policy driving the robot instead (`--policy.path=<checkpoint dir or hub id>`); the dataset name
    # must start with `eval_`.
    policy: PreTrainedConfig | None = None
    # Seconds of teleoperation before the first episode, not recorded.
    warmup_time_s: float = 0
    # Speak the prompts (needs `spd-say` or `say`).
    play_sounds: bool = True
    # Append episodes to the existing local dataset.
    resume: bool = False
    # Keyboard controls: "auto" (display or terminal), "none" (no listener).
    keyboard: str = "auto"

    def __post_init__(self):
        super().__post_init__()
        if self.teleop is None and self.policy is None:
            raise ValueError(
                "lerobot-record needs a teleoperator (--teleop.type=...) or a policy (--policy.path=...) to "
                "produce the actions."
            )
        if self.policy is not None and not self.dataset.repo_id.split("/")[-1].startswith("eval_"):
            raise ValueError(
                f"Datasets recorded by a policy are evaluations: name it 'eval_...' (got "
                f"--dataset.repo_id={self.dataset.repo_id})."
            )


@dataclass
class DatasetReplayConfig:
    # Dataset name `<user>/<name>` (also the folder under $HF_LEROBOT_HOME unless --dataset.root).
    repo_id: str
    # Index of the episode to replay.
    episode: int
    # Local dataset folder (default: $HF_LEROBOT_HOME/<repo_id>).
    root: Path | None = None
    # Replay rate (None: the dataset's fps).
    fps: int | None = None

    def __post_init__(self):
        check_numbers(self, positive=("fps",), non_negative=("episode",), flag_prefix="--dataset.")


@dataclass
class ReplayConfig:
    # The robot to drive: --robot.type=<name> plus its --robot.* settings.
    robot: RobotConfig
    dataset: DatasetReplayConfig
    # Speak the prompts (needs `spd-say` or `say`).
    play_sounds: bool = True


@dataclass
class TeleoperateConfig(DisplayFlags):
    # The leader device: --teleop.type=<name> plus its --teleop.* settings.
    teleop: TeleoperatorConfig
    # The follower robot: --robot.type=<name> plus its --robot.* settings.
    robot: RobotConfig
    # Loop rate in Hz (None: as fast as possible).
    fps: int | None = 60
    # Stop after this many seconds (None: until Ctrl-C).
    teleop_time_s: float | None = None

    def __post_init__(self):
        super().__post_init__()
        check_numbers(self, positive=("fps", "teleop_time_s"), flag_prefix="--")
