"""The v2.1-era single entry point (spec §5.1), on top of the redesigned robots/teleoperators:

    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=calibrate
    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=teleoperate --control.fps=30
    python lerobot/scripts/control_robot.py --robot.type=koch --control.type=record \
        --control.repo_id=me/koch_test --control.single_task="Grasp a lego block" --control.num_episodes=2
    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=replay \
        --control.repo_id=me/koch_test --control.episode=0
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --control.type=remote_robot

`--robot.type` is a v2.1 manipulator: `so100`, `koch`, `koch_bimanual`, `aloha`, `lekiwi`. Its arms are
`--robot.follower_arms='{main: /dev/ttyACM0}'` / `--robot.leader_arms='{main: /dev/ttyACM1}'` (arm name ->
port); features are `<arm>_<motor>.pos`. `--robot.mock=true` runs every arm on a simulated servo bus.
Calibration files: `<calibration_dir>/<arm>_{follower|leader}.json` (default dir
`.cache/calibration/<type>`), in the per-motor layout of the redesigned API. Each `--control.type` is a
config class with a `run(robot_cfg)` method (no dispatch on type names).
"""

from __future__ import annotations

import abc
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import draccus

from lerobot.cameras.configs import CameraConfig
from lerobot.motors.sim_bus import ROBOT_PRESETS, SimulatedServoBus
from lerobot.robots.aloha import aloha_cameras
from lerobot.robots.multi_arm import MultiArmRobot
from lerobot.robots.robot import Robot
from lerobot.teleoperators.multi_arm import MultiArmTeleoperator
from lerobot.teleoperators.teleoperator import Teleoperator

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------- robots
@dataclass(kw_only=True)
class ManipulatorRobotConfig(draccus.ChoiceRegistry, abc.ABC):
    follower_type: ClassVar[str]
    leader_type: ClassVar[str]

    # Arm name -> serial port.
    leader_arms: dict[str, str] = field(default_factory=dict)
    follower_arms: dict[str, str] = field(default_factory=dict)
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    # Folder of the calibration files (default `.cache/calibration/<type>`, relative to the working dir).
    calibration_dir: Path | None = None
    # Per-step clamp of each commanded joint change (degrees; gripper percent).
    max_relative_target: float | None = None
    # Run every arm on a simulated servo bus (no hardware needed).
    mock: bool = False
    id: str | None = None

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)

    def __post_init__(self):
        if self.calibration_dir is None:
            self.calibration_dir = Path(".cache/calibration") / self.type
        for name, cam in self.cameras.items():
            if None in (cam.width, cam.height, cam.fps):
                raise ValueError(f"Camera '{name}' of robot '{self.type}' needs width, height and fps set.")


@ManipulatorRobotConfig.register_subclass("so100")
@dataclass(kw_only=True)
class So100RobotConfig(ManipulatorRobotConfig):
    follower_type: ClassVar[str] = "so100_follower"
    leader_type: ClassVar[str] = "so100_leader"
    leader_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem58760431091"})
    follower_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem585A0076891"})


@ManipulatorRobotConfig.register_subclass("koch")
@dataclass(kw_only=True)
class KochRobotConfig(ManipulatorRobotConfig):
    follower_type: ClassVar[str] = "koch_follower"
    leader_type: ClassVar[str] = "koch_leader"
    leader_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem575E0031751"})
    follower_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem575E0032081"})


@ManipulatorRobotConfig.register_subclass("koch_bimanual")
@dataclass(kw_only=True)
class KochBimanualRobotConfig(ManipulatorRobotConfig):
    follower_type: ClassVar[str] = "koch_follower"
    leader_type: ClassVar[str] = "koch_leader"
    leader_arms: dict[str, str] = field(
        default_factory=lambda: {
            "left": "/dev/tty.usbmodem585A0085511",
            "right": "/dev/tty.usbmodem575E0031751",
        }
    )
    follower_arms: dict[str, str] = field(
        default_factory=lambda: {
            "left": "/dev/tty.usbmodem585A0076891",
            "right": "/dev/tty.usbmodem575E0032081",
        }
    )


@ManipulatorRobotConfig.register_subclass("aloha")
@dataclass(kw_only=True)
class AlohaRobotConfig(ManipulatorRobotConfig):
    follower_type: ClassVar[str] = "viperx"
    leader_type: ClassVar[str] = "widowx"
    leader_arms: dict[str, str] = field(
        default_factory=lambda: {"left": "/dev/ttyDXL_leader_left", "right": "/dev/ttyDXL_leader_right"}
    )
    follower_arms: dict[str, str] = field(
        default_factory=lambda: {"left": "/dev/ttyDXL_follower_left", "right": "/dev/ttyDXL_follower_right"}
    )
    cameras: dict[str, CameraConfig] = field(default_factory=aloha_cameras)
    max_relative_target: float | None = 5.0


@ManipulatorRobotConfig.register_subclass("lekiwi")
@dataclass(kw_only=True)
class LeKiwiRobotConfig(ManipulatorRobotConfig):
    """LeKiwi: `remote_robot` runs the host on the robot; the other controls drive it through
    `lekiwi_client` (`remote_ip`) with the local leader arm."""

    follower_type: ClassVar[str] = "lekiwi"
    leader_type: ClassVar[str] = "so100_leader"
    leader_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem585A0077581"})
    follower_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/ttyACM0"})
    remote_ip: str = "10.10.10.10"
    port: int = 5555
    video_port: int = 5556


class LegacyManipulator(MultiArmRobot):
    """Follower arms of a v2.1 manipulator config (not in the registry: built by this script only)."""

    def __init__(self, cfg: ManipulatorRobotConfig, ports: dict[str, str]):
        from lerobot.cameras.utils import make_cameras_from_configs

        self.name = cfg.type  # the dataset's robot_type
        super().__init__(cfg)
        cls = Robot.registry[cfg.follower_type]
        self.arms = {
            arm: cls(
                cls.config_class(
                    port=port,
                    id=f"{arm}_follower",
                    calibration_dir=cfg.calibration_dir,
                    max_relative_target=cfg.max_relative_target,
                    cameras={},
                )
            )
            for arm, port in ports.items()
        }
        self.cameras = make_cameras_from_configs(cfg.cameras)


class LegacyLeaders(MultiArmTeleoperator):
    def __init__(self, cfg: ManipulatorRobotConfig, ports: dict[str, str]):
        self.name = f"{cfg.type}_leader"
        super().__init__(cfg)
        cls = Teleoperator.registry[cfg.leader_type]
        self.arms = {
            arm: cls(cls.config_class(port=port, id=f"{arm}_leader", calibration_dir=cfg.calibration_dir))
            for arm, port in ports.items()
        }


class Devices:
    """Builds the follower robot and the leaders of a v2.1 config, starting simulated buses if `mock`."""

    def __init__(self, cfg: ManipulatorRobotConfig, input_fn: Any = input):
        self.cfg = cfg
        self.input_fn = input_fn  # answers the calibration prompts
        self.sims: list[SimulatedServoBus] = []
        self.follower_ports = self._ports(cfg.follower_arms, cfg.follower_type)
        self.leader_ports = self._ports(cfg.leader_arms, cfg.leader_type)

    def _ports(self, arms: dict[str, str], device_type: str) -> dict[str, str]:
        if not self.cfg.mock:
            return dict(arms)
        ports = {}
        for arm in arms:
            sim = SimulatedServoBus.from_models(ROBOT_PRESETS[device_type]).start()
            self.sims.append(sim)
            ports[arm] = sim.port
        return ports

    def robot(self) -> LegacyManipulator:
        return LegacyManipulator(self.cfg, self.follower_ports)

    def leaders(self) -> LegacyLeaders:
        return LegacyLeaders(self.cfg, self.leader_ports)

    def close(self) -> None:
        for sim in self.sims:
            sim.stop()


# ---------------------------------------------------------------------------------------------- controls
@dataclass
class ControlConfig(draccus.ChoiceRegistry, abc.ABC):
    @abc.abstractmethod
    def run(self, devices: Devices) -> Any: ...


@ControlConfig.register_subclass("calibrate")
@dataclass
class CalibrateControlConfig(ControlConfig):
    # Arms to (re)calibrate, e.g. ["main_follower", "main_leader"]; default: all. Their files are deleted.
    arms: list[str] | None = None

    def run(self, devices: Devices) -> list[str]:
        robot, leaders = devices.robot(), devices.leaders()
        all_arms = {f"{a}_follower": d for a, d in robot.arms.items()}
        all_arms.update({f"{a}_leader": d for a, d in leaders.arms.items()})
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
class TeleoperateControlConfig(ControlConfig):
    # Loop rate (None: as fast as possible).
    fps: int | None = None
    teleop_time_s: float | None = None
    # Show observations and actions live in the Rerun viewer (extra `rerun`).
    display_data: bool = False
    # With display_data: save the display to this .rrd file instead of spawning a viewer.
    display_data_path: Path | None = None

    def run(self, devices: Devices) -> dict[str, float]:
        from lerobot.scripts.lerobot_teleoperate import teleop_loop

        robot, leaders = devices.robot(), devices.leaders()
        with leaders, robot:
            return teleop_loop(
                leaders, robot, self.fps, self.teleop_time_s, None, self.display_data, self.display_data_path
            )


@ControlConfig.register_subclass("record")
@dataclass
class RecordControlConfig(ControlConfig):
    repo_id: str
    single_task: str
    root: Path | None = None
    fps: int = 30
    warmup_time_s: float = 10
    episode_time_s: float = 60
    reset_time_s: float = 60
    num_episodes: int = 50
    video: bool = True
    push_to_hub: bool = True
    private: bool = False
    tags: list[str] | None = None
    num_image_writer_processes: int = 0
    num_image_writer_threads_per_camera: int = 4
    # Show observations and actions live in the Rerun viewer (extra `rerun`).
    display_data: bool = False
    # With display_data: save the display to this .rrd file instead of spawning a viewer.
    display_data_path: Path | None = None
    play_sounds: bool = True
    resume: bool = False
    keyboard: str = "auto"

    def run(self, devices: Devices):
        from lerobot.scripts.lerobot_record import DatasetRecordConfig, RecordConfig, record_session

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
        robot, leaders = devices.robot(), devices.leaders()
        cfg = RecordConfig(
            robot=robot.arms[next(iter(robot.arms))].config,  # unused by record_session
            dataset=ds,
            teleop=leaders.arms[next(iter(leaders.arms))].config,
            warmup_time_s=self.warmup_time_s,
            display_data=self.display_data,
            display_data_path=self.display_data_path,
            play_sounds=self.play_sounds,
            resume=self.resume,
            keyboard=self.keyboard,
        )
        return record_session(robot, leaders, cfg, None)


@ControlConfig.register_subclass("replay")
@dataclass
class ReplayControlConfig(ControlConfig):
    repo_id: str
    episode: int
    root: Path | None = None
    fps: int | None = None
    play_sounds: bool = True

    def run(self, devices: Devices):
        from lerobot.scripts.lerobot_replay import DatasetReplayConfig, replay_on

        ds = DatasetReplayConfig(repo_id=self.repo_id, episode=self.episode, root=self.root, fps=self.fps)
        return replay_on(devices.robot(), ds)


@ControlConfig.register_subclass("remote_robot")
@dataclass
class RemoteRobotControlConfig(ControlConfig):
    """Run the LeKiwi host on the robot (needs `--robot.type=lekiwi`)."""

    connection_time_s: float | None = None

    def run(self, devices: Devices) -> None:
        from lerobot.robots.lekiwi import LeKiwi, LeKiwiConfig, LeKiwiHostConfig
        from lerobot.robots.lekiwi.lekiwi_host import LeKiwiHost

        cfg = devices.cfg
        if not isinstance(cfg, LeKiwiRobotConfig):
            raise ValueError(f"--control.type=remote_robot runs a LeKiwi host; got --robot.type={cfg.type}.")
        (port,) = devices.follower_ports.values()
        robot = LeKiwi(
            LeKiwiConfig(
                port=port, id="main_follower", calibration_dir=cfg.calibration_dir, cameras=cfg.cameras
            )
        )
        host_cfg = LeKiwiHostConfig(
            port_zmq_cmd=cfg.port,
            port_zmq_observations=cfg.video_port,
            connection_time_s=self.connection_time_s,
        )
        with robot:
            host = LeKiwiHost(robot, host_cfg)
            try:
                host.run()
            finally:
                host.close()


@dataclass
class ControlPipelineConfig:
    robot: ManipulatorRobotConfig
    control: ControlConfig


def control_robot(cfg: ControlPipelineConfig, input_fn: Any = input) -> Any:
    devices = Devices(cfg.robot, input_fn)
    try:
        return cfg.control.run(devices)
    finally:
        devices.close()


def main(args: list[str] | None = None) -> None:
    from lerobot.configs.parser import parse

    logging.basicConfig(level=logging.INFO)
    result = control_robot(parse(ControlPipelineConfig, sys.argv[1:] if args is None else args))
    if isinstance(result, dict):
        print("Loop stats:", {k: round(v, 3) for k, v in result.items()})


if __name__ == "__main__":
    main()
