"""The runtime of the v2.1-era `control_robot.py` (docs/cli.md), on top of the redesigned robots and
teleoperators: `ControlPipelineConfig` (`--robot.*`, `--control.*`) and `control_robot(cfg)`.

`--robot.type` is a v2.1 manipulator (`so100`, `koch`, `koch_bimanual`, `aloha`, `lekiwi`;
`lerobot/legacy/devices.py`). Each `--control.type` is a config class with a `run(devices)` method that
calls the library's runtime (`lerobot.recording`: calibration, teleoperation, recording sessions, replay),
and each robot config says which robot and teleoperator it builds (`make_robot`, `make_teleoperator`,
`make_calibration_arms`, `serve`): no dispatch on type names. The commands and flags are in the docstring
of `lerobot/scripts/control_robot.py`.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import draccus

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import check_numbers
from lerobot.legacy.devices import Devices, ManipulatorRobotConfig
from lerobot.utils.visualization_utils import DisplayFlags

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- controls
@dataclass
class ControlConfig(draccus.ChoiceRegistry, abc.ABC):
    @abc.abstractmethod
    def run(self, devices: Devices) -> Any: ...


@ControlConfig.register_subclass("calibrate")
@dataclass
class CalibrateControlConfig(ControlConfig):
    """(Re)calibrate arms on their local ports. LeKiwi: `main_leader` is the laptop's leader arm,
    `main_follower` the robot's arm on `follower_arms["main"]`: run that one on the robot's computer."""

    # Arms to (re)calibrate, e.g. ["main_follower", "main_leader"]; default: all. Their files are deleted.
    arms: list[str] | None = None

    def run(self, devices: Devices) -> list[str]:
        all_arms = devices.calibration_arms()
        names = self.arms if self.arms is not None else list(all_arms)
        unknown = sorted(set(names) - set(all_arms))
        if unknown:
            raise ValueError(f"--control.arms: unknown arms {unknown}; available: {sorted(all_arms)}.")
        for name in names:
            device = all_arms[name]
            device.calibration_fpath.unlink(missing_ok=True)
            device.calibration = {}
            device.bus.calibration = {}
            device.input_fn = devices.input_fn
            device.connect(calibrate=True)
            device.disconnect()
        return names


@ControlConfig.register_subclass("teleoperate")
@dataclass
class TeleoperateControlConfig(DisplayFlags, ControlConfig):
    # Loop rate (None: as fast as possible).
    fps: int | None = None
    # Stop after this many seconds (None: until Ctrl-C).
    teleop_time_s: float | None = None

    def __post_init__(self):
        super().__post_init__()
        check_numbers(self, positive=("fps", "teleop_time_s"), flag_prefix="--control.")

    def run(self, devices: Devices) -> dict[str, float]:
        from lerobot.recording.teleoperate import teleop_loop

        leaders = devices.leaders()  # first: a missing leader fails before a robot (host) starts
        robot = devices.robot()
        with leaders, robot:
            return teleop_loop(leaders, robot, self.fps, self.teleop_time_s, display_flags=self)


@ControlConfig.register_subclass("record")
@dataclass
class RecordControlConfig(DisplayFlags, ControlConfig):
    # Dataset name `<user>/<name>`; stored in root (default $HF_LEROBOT_HOME/<repo_id>).
    repo_id: str
    # The task, in words, stored with every frame.
    single_task: str
    # Local dataset folder (default: $HF_LEROBOT_HOME/<repo_id>).
    root: Path | None = None
    # Frames per second recorded (the control loop rate).
    fps: int = 30
    # Seconds of teleoperation before the first episode, not recorded.
    warmup_time_s: float = 10
    # Seconds recorded per episode.
    episode_time_s: float = 60
    # Seconds to reset the scene between episodes (not recorded).
    reset_time_s: float = 60
    # Number of episodes to record.
    num_episodes: int = 50
    # Encode cameras to mp4 (true) or keep PNG images (false).
    video: bool = True
    # Upload to the Hugging Face Hub at the end.
    push_to_hub: bool = True
    # Create the Hub repository as private.
    private: bool = False
    # Tags of the Hub dataset card.
    tags: list[str] | None = None
    # Processes writing camera frames to disk (0: threads only).
    num_image_writer_processes: int = 0
    # Threads writing camera frames to disk, per camera.
    num_image_writer_threads_per_camera: int = 4
    # Speak the prompts (needs `spd-say` or `say`).
    play_sounds: bool = True
    # Append episodes to the existing local dataset.
    resume: bool = False
    # Keyboard controls: auto (display or terminal) or none.
    keyboard: str = "auto"
    # A policy drives the robot during the episodes instead of the leader arms, which still drive the resets
    # when the robot has some (`--control.policy.path=<checkpoint dir or hub id>`; name the dataset `eval_...`).
    policy: PreTrainedConfig | None = None

    def __post_init__(self):
        super().__post_init__()
        check_numbers(
            self,
            positive=("fps", "episode_time_s", "num_episodes", "num_image_writer_threads_per_camera"),
            non_negative=("warmup_time_s", "reset_time_s", "num_image_writer_processes"),
            flag_prefix="--control.",
        )

    def run(self, devices: Devices):
        from lerobot.recording.configs import DatasetRecordConfig, RecordConfig
        from lerobot.recording.session import record_session

        ds = DatasetRecordConfig(
            repo_id=self.repo_id,
            single_task=self.single_task,
            root=self.root,
            fps=self.fps,
            episode_time_s=self.episode_time_s,
            reset_time_s=self.reset_time_s,
            num_episodes=self.num_episodes,
            video=self.video,
            push_to_hub=self.push_to_hub,
            private=self.private,
            tags=self.tags,
            num_image_writer_processes=self.num_image_writer_processes,
            num_image_writer_threads_per_camera=self.num_image_writer_threads_per_camera,
        )
        leaders = devices.leaders() if self.policy is None or devices.cfg.leader_arms else None
        robot = devices.robot()
        cfg = RecordConfig(
            robot=robot.config,  # unused by record_session
            dataset=ds,
            teleop=leaders.config if leaders is not None else None,
            policy=self.policy,
            warmup_time_s=self.warmup_time_s,
            **self.display_flags(),
            play_sounds=self.play_sounds,
            resume=self.resume,
            keyboard=self.keyboard,
        )
        return record_session(robot, leaders, cfg, None)


@ControlConfig.register_subclass("replay")
@dataclass
class ReplayControlConfig(ControlConfig):
    # Dataset name `<user>/<name>` to replay from.
    repo_id: str
    # Index of the episode to replay.
    episode: int
    # Local dataset folder (default: $HF_LEROBOT_HOME/<repo_id>).
    root: Path | None = None
    # Replay rate (None: the dataset's fps).
    fps: int | None = None
    # Speak the prompts (needs `spd-say` or `say`).
    play_sounds: bool = True

    def __post_init__(self):
        check_numbers(self, positive=("fps",), non_negative=("episode",), flag_prefix="--control.")

    def run(self, devices: Devices):
        from lerobot.recording.configs import DatasetReplayConfig
        from lerobot.recording.replay import replay_on

        ds = DatasetReplayConfig(repo_id=self.repo_id, episode=self.episode, root=self.root, fps=self.fps)
        return replay_on(devices.robot(), ds)


@ControlConfig.register_subclass("remote_robot")
@dataclass
class RemoteRobotControlConfig(ControlConfig):
    """Run the LeKiwi host on the robot's computer (needs `--robot.type=lekiwi`)."""

    # Stop after this many seconds (None: run until Ctrl-C).
    connection_time_s: float | None = None

    def run(self, devices: Devices) -> None:
        devices.cfg.serve(devices, self.connection_time_s)


@dataclass
class ControlPipelineConfig:
    # The robot: --robot.type=so100|koch|koch_bimanual|aloha|lekiwi plus its --robot.* settings.
    robot: ManipulatorRobotConfig
    # What to do: --control.type=calibrate|teleoperate|record|replay|remote_robot plus its --control.* settings.
    control: ControlConfig


def control_robot(cfg: ControlPipelineConfig, input_fn: Callable[[str], str] = input) -> Any:
    with Devices(cfg.robot, input_fn) as devices:
        return cfg.control.run(devices)
