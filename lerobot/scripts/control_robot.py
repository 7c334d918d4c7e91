"""The v2.1-era single entry point (spec §5.1), on top of the redesigned robots/teleoperators:

    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=calibrate
    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=teleoperate --control.fps=30
    python lerobot/scripts/control_robot.py --robot.type=koch --control.type=record \
        --control.repo_id=me/koch_test --control.single_task="Grasp a lego block" --control.num_episodes=2
    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=replay \
        --control.repo_id=me/koch_test --control.episode=0
    # a trained policy drives the follower (the leader arms drive the resets); name the dataset eval_...
    python lerobot/scripts/control_robot.py --robot.type=koch --control.type=record \
        --control.repo_id=me/eval_koch_test --control.single_task="Grasp a lego block" \
        --control.policy.path=outputs/train/act_koch/checkpoints/last/pretrained_model

`--robot.type` is a v2.1 manipulator: `so100`, `koch`, `koch_bimanual`, `aloha`, `lekiwi`. Its arms are
`--robot.follower_arms='{main: /dev/ttyACM0}'` / `--robot.leader_arms='{main: /dev/ttyACM1}'` (arm name ->
port); features are `<arm>_<motor>.pos`. `--robot.mock=true` runs every arm on a simulated servo bus.
Calibration files: `<calibration_dir>/<arm>_{follower|leader}.json` (default dir
`.cache/calibration/<type>`), in the per-motor layout of the redesigned API. Each `--control.type` is a
config class with a `run(devices)` method, and each robot config says which robot and teleoperator it
builds (`make_robot`, `make_teleoperator`, `make_calibration_arms`, `serve`): no dispatch on type names.

LeKiwi (`--robot.type=lekiwi`): the arm and the base are on the robot's computer (a Raspberry Pi), which
runs the host; the laptop drives it over ZMQ (`lekiwi_client`: commands on `--robot.port` 5555,
observations on `--robot.video_port` 5556) with the local SO-100 leader arm (`leader_arms["main"]`) and
the keyboard for the base (w/s a/d z/x, r/f speed; `--robot.keyboard_backend=auto|pynput|terminal|none`):

    # on the robot: calibrate its arm (the local follower_arms["main"] port), then serve
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --control.type=calibrate \
        --control.arms='["main_follower"]'
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --control.type=remote_robot
    # on the laptop: calibrate the leader arm, then teleoperate / record / replay
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --control.type=calibrate \
        --control.arms='["main_leader"]'
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --robot.remote_ip=<pi ip> \
        --control.type=teleoperate
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --robot.remote_ip=<pi ip> \
        --control.type=record --control.repo_id=me/kiwi --control.single_task="Go to the door"

Datasets record `robot_type` "lekiwi" with `arm_<joint>.pos`, `x.vel`, `y.vel`, `theta.vel` and the
cameras (shapes from `--robot.cameras`, which the host opens). With `--robot.mock=true` the LeKiwi bus
is simulated and a host runs in a background thread on 127.0.0.1 (free ports; `remote_ip` is unused),
so every control works without hardware, e.g. with file cameras:

    python lerobot/scripts/control_robot.py --robot.type=lekiwi --robot.mock=true \
        --robot.cameras='{front: {type: opencv, index_or_path: front.mp4, width: 640, height: 480, fps: 30}}' \
        --control.type=teleoperate --control.teleop_time_s=10

(In any mock session a new calibration asks to move simulated joints: tests answer the prompts with a
scripted `input_fn`; with calibration files in `--robot.calibration_dir`, ENTER reuses them.)
"""

from __future__ import annotations

import abc
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import draccus

from lerobot.cameras.configs import CameraConfig
from lerobot.configs.policies import PreTrainedConfig
from lerobot.motors.sim_bus import ROBOT_PRESETS, SimulatedServoBus
from lerobot.robots.aloha import aloha_cameras
from lerobot.robots.device import CalibratedDevice
from lerobot.robots.lekiwi.config_lekiwi import (
    LeKiwiClientConfig,
    LeKiwiConfig,
    LeKiwiHostConfig,
    lekiwi_cameras,
)
from lerobot.robots.lekiwi.lekiwi import LeKiwi
from lerobot.robots.lekiwi.lekiwi_client import LeKiwiClient
from lerobot.robots.multi_arm import MultiArmRobot
from lerobot.robots.robot import Robot
from lerobot.teleoperators.multi_arm import MultiArmTeleoperator
from lerobot.teleoperators.teleoperator import Teleoperator

logger = logging.getLogger(__name__)

T = TypeVar("T")


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

    # What this config builds: the controls only call these, robots that differ override them.
    def make_robot(self, devices: Devices) -> Robot:
        """The robot that teleoperate / record / replay drive: the follower arms and the cameras."""
        return LegacyManipulator(self, devices.follower_ports)

    def make_teleoperator(self, devices: Devices) -> Teleoperator:
        """The teleoperator of teleoperate / record: the leader arms."""
        if not self.leader_arms:
            raise ValueError(
                f"Robot '{self.type}' has no leader arm to teleoperate with: set "
                "--robot.leader_arms='{main: <port of the leader arm>}'."
            )
        return LegacyLeaders(self, devices.leader_ports)

    def make_calibration_arms(self, devices: Devices) -> dict[str, CalibratedDevice]:
        """`--control.arms` names (`<arm>_follower`, `<arm>_leader`) -> arm devices (each with a `bus`)."""
        robot = LegacyManipulator(self, devices.follower_ports)
        arms: dict[str, CalibratedDevice] = {f"{a}_follower": d for a, d in robot.arms.items()}
        leaders = LegacyLeaders(self, devices.leader_ports)
        arms.update({f"{a}_leader": d for a, d in leaders.arms.items()})
        return arms

    def serve(self, devices: Devices, connection_time_s: float | None) -> None:
        """`--control.type=remote_robot`: serve the robot to a remote client (LeKiwi only)."""
        raise ValueError(f"--control.type=remote_robot runs a LeKiwi host; got --robot.type={self.type}.")


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


KEYBOARD_BACKENDS = ("auto", "pynput", "terminal", "none")


@ManipulatorRobotConfig.register_subclass("lekiwi")
@dataclass(kw_only=True)
class LeKiwiRobotConfig(ManipulatorRobotConfig):
    """LeKiwi. On the robot's computer, `remote_robot` runs the host (arm + base on `follower_arms["main"]`,
    the cameras). On the laptop, teleoperate / record / replay drive it through `lekiwi_client`
    (`remote_ip`, `port`, `video_port`) with the `lekiwi_leader`: the leader arm `leader_arms["main"]` and
    the keyboard for the base. `calibrate`: `main_leader` is the laptop's leader arm, `main_follower` the
    robot's arm on the local `follower_arms["main"]` port (run that one on the robot's computer)."""

    follower_type: ClassVar[str] = "lekiwi"
    leader_type: ClassVar[str] = "so100_leader"
    leader_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem585A0077581"})
    follower_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/ttyACM0"})
    # Opened by the host on the robot; the client sizes the dataset from their width/height (and rotation).
    cameras: dict[str, CameraConfig] = field(default_factory=lekiwi_cameras)
    # IP address of the robot's computer, which runs `--control.type=remote_robot` (unused with mock).
    remote_ip: str = "10.10.10.10"
    # ZMQ ports of the host: commands, observations (with the camera frames).
    port: int = 5555
    video_port: int = 5556
    # Keyboard of the leader's base keys: auto (a display, else the terminal), pynput, terminal or none.
    keyboard_backend: str = "auto"

    def __post_init__(self):
        super().__post_init__()
        for flag, arms in (("follower_arms", self.follower_arms), ("leader_arms", self.leader_arms)):
            if set(arms) - {"main"}:
                raise ValueError(
                    f"--robot.{flag}: LeKiwi has one arm, named 'main' (e.g. '{{main: /dev/ttyACM0}}'); "
                    f"got arms {sorted(arms)}."
                )
        if "main" not in self.follower_arms:
            raise ValueError(
                "--robot.follower_arms: LeKiwi needs the port of its bus on the robot, e.g. '{main: /dev/ttyACM0}'."
            )
        if self.keyboard_backend not in KEYBOARD_BACKENDS:
            raise ValueError(
                f"--robot.keyboard_backend must be one of {list(KEYBOARD_BACKENDS)}; got '{self.keyboard_backend}'."
            )

    def host_robot(self, port: str, cameras: dict[str, CameraConfig]) -> LeKiwi:
        """The robot itself, on its computer: arm + base on `port`, calibration file `main_follower.json`."""
        return LeKiwi(
            LeKiwiConfig(
                port=port,
                id="main_follower",
                calibration_dir=self.calibration_dir,
                cameras=cameras,
                max_relative_target=self.max_relative_target,
            )
        )

    def make_robot(self, devices: Devices) -> LeKiwiClient:
        from lerobot.cameras.utils import make_cameras_from_configs

        if self.mock:
            host = devices.service("lekiwi_host", lambda: MockLeKiwiHost(self, devices))
            ip, cmd_port, obs_port = "127.0.0.1", host.port_zmq_cmd, host.port_zmq_observations
        else:
            ip, cmd_port, obs_port = self.remote_ip, self.port, self.video_port
        # The frames the host sends: the cameras' output size (after rotation).
        cameras = make_cameras_from_configs(self.cameras)
        return LegacyLeKiwiClient(
            LeKiwiClientConfig(
                remote_ip=ip,
                port_zmq_cmd=cmd_port,
                port_zmq_observations=obs_port,
                camera_shapes={name: [cam.height, cam.width, 3] for name, cam in cameras.items()},
            )
        )

    def make_teleoperator(self, devices: Devices) -> Teleoperator:
        from lerobot.teleoperators.lekiwi_leader import LeKiwiLeader, LeKiwiLeaderConfig

        if "main" not in self.leader_arms:
            raise ValueError(
                "LeKiwi is teleoperated with a leader arm and the keyboard: set "
                "--robot.leader_arms='{main: <port of the SO-100 leader arm>}'."
            )
        return LeKiwiLeader(
            LeKiwiLeaderConfig(
                port=devices.leader_ports["main"],
                id="main_leader",
                calibration_dir=self.calibration_dir,
                keyboard_backend=self.keyboard_backend,
            )
        )

    def make_calibration_arms(self, devices: Devices) -> dict[str, CalibratedDevice]:
        from lerobot.teleoperators.so100_leader import SO100Leader, SO100LeaderConfig

        arms: dict[str, CalibratedDevice] = {
            "main_follower": self.host_robot(devices.follower_ports["main"], cameras={})
        }
        if "main" in self.leader_arms:  # the arm and the file of the `lekiwi_leader`
            arms["main_leader"] = SO100Leader(
                SO100LeaderConfig(
                    port=devices.leader_ports["main"], id="main_leader", calibration_dir=self.calibration_dir
                )
            )
        return arms

    def serve(self, devices: Devices, connection_time_s: float | None) -> None:
        from lerobot.robots.lekiwi.lekiwi_host import LeKiwiHost

        robot = self.host_robot(devices.follower_ports["main"], self.cameras)
        robot.input_fn = devices.input_fn
        host_cfg = LeKiwiHostConfig(
            port_zmq_cmd=self.port, port_zmq_observations=self.video_port, connection_time_s=connection_time_s
        )
        with robot:
            host = LeKiwiHost(robot, host_cfg)
            try:
                host.run()
            finally:
                host.close()


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


class LegacyLeKiwiClient(LeKiwiClient):
    """`lekiwi_client` whose datasets record `robot_type` "lekiwi" (the v2.1 name); not in the registry."""

    def __init__(self, config: LeKiwiClientConfig):
        self.name = "lekiwi"
        super().__init__(config)


class MockLeKiwiHost:
    """`--robot.mock=true` LeKiwi: what `remote_robot` runs on the robot, here on the simulated bus and in a
    background thread bound to 127.0.0.1 on free ports (`port_zmq_cmd`, `port_zmq_observations`). The robot
    connects like on the robot (without a matching calibration file it calibrates through
    `devices.input_fn`) and opens `--robot.cameras`. `close()` stops the thread, the sockets and the robot."""

    def __init__(self, cfg: LeKiwiRobotConfig, devices: Devices):
        from lerobot.robots.lekiwi.lekiwi_host import LeKiwiHost

        self.robot = cfg.host_robot(devices.follower_ports["main"], cfg.cameras)
        self.robot.input_fn = devices.input_fn
        self.host: LeKiwiHost | None = None
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()
        self.robot.connect()
        try:
            self.host = LeKiwiHost(
                self.robot, LeKiwiHostConfig(port_zmq_cmd=0, port_zmq_observations=0), bind_ip="127.0.0.1"
            )
            self.port_zmq_cmd = self.host.port_zmq_cmd
            self.port_zmq_observations = self.host.port_zmq_observations
            self.thread = threading.Thread(
                target=self.host.run, args=(self.stop,), name="mock-lekiwi-host", daemon=True
            )
            self.thread.start()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.stop.set()
        try:
            if self.thread is not None:
                self.thread.join(timeout=10)  # the host checks `stop` every loop (a camera read: <= 1 s)
                if self.thread.is_alive():
                    raise RuntimeError("The mock LeKiwi host thread did not stop within 10 s.")
            if self.host is not None:
                self.host.close()
        finally:
            self.robot.disconnect()


class Devices:
    """Builds what a v2.1 config drives, through the config's `make_*` methods; starts the simulated buses
    when `mock`, and the background services a robot needs (the mock LeKiwi host) on first use. `close()`
    (or leaving the `with` block) stops all of them, also after a control raised."""

    def __init__(self, cfg: ManipulatorRobotConfig, input_fn: Callable[[str], str] = input):
        self.cfg = cfg
        self.input_fn = input_fn  # answers the calibration prompts
        self.sims: list[SimulatedServoBus] = []
        self.services: dict[str, Any] = {}
        try:
            self.follower_ports = self._ports(cfg.follower_arms, cfg.follower_type)
            self.leader_ports = self._ports(cfg.leader_arms, cfg.leader_type)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Devices:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ports(self, arms: dict[str, str], device_type: str) -> dict[str, str]:
        if not self.cfg.mock:
            return dict(arms)
        ports = {}
        for arm in arms:
            sim = SimulatedServoBus.from_models(ROBOT_PRESETS[device_type]).start()
            self.sims.append(sim)
            ports[arm] = sim.port
        return ports

    def robot(self) -> Robot:
        robot = self.cfg.make_robot(self)
        robot.input_fn = self.input_fn
        return robot

    def leaders(self) -> Teleoperator:
        teleop = self.cfg.make_teleoperator(self)
        teleop.input_fn = self.input_fn
        return teleop

    def calibration_arms(self) -> dict[str, CalibratedDevice]:
        return self.cfg.make_calibration_arms(self)

    def service(self, name: str, start: Callable[[], T]) -> T:
        """The background service `name` (an object with `close()`): started by `start()` on first use,
        kept for the next controls run on these devices, closed by `close()`."""
        if name not in self.services:
            self.services[name] = start()
        return self.services[name]

    def close(self) -> None:
        """Close the services (last started first), then stop the simulated buses; every one of them even
        if one fails (the first error is raised at the end)."""
        closers = [s.close for s in reversed(self.services.values())] + [sim.stop for sim in self.sims]
        self.services, self.sims = {}, []
        error: Exception | None = None
        for close in closers:
            try:
                close()
            except Exception as e:  # noqa: PERF203  (close the others, then raise)
                logger.error("Closing %s failed: %s", close, e)
                error = error or e
        if error is not None:
            raise error


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
class TeleoperateControlConfig(ControlConfig):
    # Loop rate (None: as fast as possible).
    fps: int | None = None
    teleop_time_s: float | None = None
    # Show observations and actions live in the Rerun viewer (extra `rerun`).
    display_data: bool = False
    # With display_data: save the display to this .rrd file instead of spawning a viewer.
    display_data_path: Path | None = None
    # With display_data: stream live to a Rerun viewer (`rerun` / `rerun --serve-grpc`) on this IP.
    display_ip: str | None = None
    # The viewer's gRPC port.
    display_port: int = 9876

    def __post_init__(self):
        from lerobot.utils.visualization_utils import check_display_flags

        check_display_flags(self.display_data, self.display_data_path, self.display_ip, self.display_port)

    def run(self, devices: Devices) -> dict[str, float]:
        from lerobot.scripts.lerobot_teleoperate import teleop_loop

        leaders = devices.leaders()  # first: a missing leader fails before a robot (host) starts
        robot = devices.robot()
        with leaders, robot:
            return teleop_loop(
                leaders,
                robot,
                self.fps,
                self.teleop_time_s,
                None,
                self.display_data,
                self.display_data_path,
                self.display_ip,
                self.display_port,
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
    # With display_data: stream live to a Rerun viewer (`rerun` / `rerun --serve-grpc`) on this IP.
    display_ip: str | None = None
    # The viewer's gRPC port.
    display_port: int = 9876
    play_sounds: bool = True
    resume: bool = False
    keyboard: str = "auto"
    # A policy drives the robot during the episodes instead of the leader arms, which still drive the resets
    # when the robot has some (`--control.policy.path=<checkpoint dir or hub id>`; name the dataset `eval_...`).
    policy: PreTrainedConfig | None = None

    def __post_init__(self):
        from lerobot.utils.visualization_utils import check_display_flags

        check_display_flags(self.display_data, self.display_data_path, self.display_ip, self.display_port)

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
        leaders = devices.leaders() if self.policy is None or devices.cfg.leader_arms else None
        robot = devices.robot()
        cfg = RecordConfig(
            robot=robot.config,  # unused by record_session
            dataset=ds,
            teleop=leaders.config if leaders is not None else None,
            policy=self.policy,
            warmup_time_s=self.warmup_time_s,
            display_data=self.display_data,
            display_data_path=self.display_data_path,
            display_ip=self.display_ip,
            display_port=self.display_port,
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
    """Run the LeKiwi host on the robot's computer (needs `--robot.type=lekiwi`)."""

    # Stop after this many seconds (None: run until Ctrl-C).
    connection_time_s: float | None = None

    def run(self, devices: Devices) -> None:
        devices.cfg.serve(devices, self.connection_time_s)


@dataclass
class ControlPipelineConfig:
    robot: ManipulatorRobotConfig
    control: ControlConfig


def control_robot(cfg: ControlPipelineConfig, input_fn: Callable[[str], str] = input) -> Any:
    with Devices(cfg.robot, input_fn) as devices:
        return cfg.control.run(devices)


def main(args: list[str] | None = None) -> None:
    from lerobot.configs.parser import parse

    logging.basicConfig(level=logging.INFO)
    result = control_robot(parse(ControlPipelineConfig, sys.argv[1:] if args is None else args))
    if isinstance(result, dict):
        print("Loop stats:", {k: round(v, 3) for k, v in result.items()})


if __name__ == "__main__":
    main()
