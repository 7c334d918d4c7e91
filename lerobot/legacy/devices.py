"""The v2.1-era robot configs of `control_robot.py` (`--robot.type=so100|koch|koch_bimanual|aloha|
lekiwi`, arms as `follower_arms` / `leader_arms` = {arm name: port}) and what they build on the redesigned
devices: `LegacyManipulator` (follower arms + cameras, features `<arm>_<motor>.pos`), `LegacyLeaders`, the
LeKiwi client/leader pair and, with `mock=true`, simulated buses and a LeKiwi host thread (`Devices`).
Each config says what it builds (`make_robot`, `make_teleoperator`, `make_calibration_arms`, `serve`), so
the controls of `control_robot.py` never dispatch on type names.

This is the v2.1 compatibility layer: it builds on both `lerobot.robots` and `lerobot.teleoperators`,
which import neither each other nor this package.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import draccus

from lerobot.cameras.configs import CameraConfig
from lerobot.devices.device import CalibratedDevice
from lerobot.motors.sim import ROBOT_PRESETS, SimulatedServoBus, SimulatedUser
from lerobot.robots.aloha import aloha_cameras
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
    # Cameras: name -> camera config, e.g. '{laptop: {type: opencv, index_or_path: 0, fps: 30, width: 640, height: 480}}'.
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    # Folder of the calibration files (default `.cache/calibration/<type>`, relative to the working dir).
    calibration_dir: Path | None = None
    # Per-step clamp of each commanded joint change (degrees; gripper percent).
    max_relative_target: float | None = None
    # Run every arm on a simulated servo bus (no hardware needed).
    mock: bool = False
    # Name of this robot (calibration files are per arm, under calibration_dir).
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
    # Leader arms: name -> serial port, e.g. '{main: /dev/ttyACM1}' ({} for none).
    leader_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem58760431091"})
    # Follower arms: name -> serial port, e.g. '{main: /dev/ttyACM0}'.
    follower_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem585A0076891"})


@ManipulatorRobotConfig.register_subclass("koch")
@dataclass(kw_only=True)
class KochRobotConfig(ManipulatorRobotConfig):
    follower_type: ClassVar[str] = "koch_follower"
    leader_type: ClassVar[str] = "koch_leader"
    # Leader arms: name -> serial port, e.g. '{main: /dev/ttyACM1}' ({} for none).
    leader_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem575E0031751"})
    # Follower arms: name -> serial port, e.g. '{main: /dev/ttyACM0}'.
    follower_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem575E0032081"})


@ManipulatorRobotConfig.register_subclass("koch_bimanual")
@dataclass(kw_only=True)
class KochBimanualRobotConfig(ManipulatorRobotConfig):
    follower_type: ClassVar[str] = "koch_follower"
    leader_type: ClassVar[str] = "koch_leader"
    # Leader arms: name -> serial port, e.g. '{main: /dev/ttyACM1}' ({} for none).
    leader_arms: dict[str, str] = field(
        default_factory=lambda: {
            "left": "/dev/tty.usbmodem585A0085511",
            "right": "/dev/tty.usbmodem575E0031751",
        }
    )
    # Follower arms: name -> serial port, e.g. '{main: /dev/ttyACM0}'.
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
    # Leader arms: name -> serial port, e.g. '{main: /dev/ttyACM1}' ({} for none).
    leader_arms: dict[str, str] = field(
        default_factory=lambda: {"left": "/dev/ttyDXL_leader_left", "right": "/dev/ttyDXL_leader_right"}
    )
    # Follower arms: name -> serial port, e.g. '{main: /dev/ttyACM0}'.
    follower_arms: dict[str, str] = field(
        default_factory=lambda: {"left": "/dev/ttyDXL_follower_left", "right": "/dev/ttyDXL_follower_right"}
    )
    # Cameras: name -> camera config, e.g. '{top: {type: opencv, index_or_path: 0, fps: 30, width: 640, height: 480}}'.
    cameras: dict[str, CameraConfig] = field(default_factory=aloha_cameras)
    # Per-step clamp of each commanded joint change (degrees; gripper percent).
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
    # Leader arms: name -> serial port, e.g. '{main: /dev/ttyACM1}' ({} for none).
    leader_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/tty.usbmodem585A0077581"})
    # Follower arms: name -> serial port, e.g. '{main: /dev/ttyACM0}'.
    follower_arms: dict[str, str] = field(default_factory=lambda: {"main": "/dev/ttyACM0"})
    # Opened by the host on the robot; the client sizes the dataset from their width/height (and rotation).
    cameras: dict[str, CameraConfig] = field(default_factory=lekiwi_cameras)
    # IP address of the robot's computer, which runs `--control.type=remote_robot` (unused with mock).
    remote_ip: str = "10.10.10.10"
    # ZMQ ports of the host: commands, observations (with the camera frames).
    port: int = 5555
    # TCP port of the host's observation socket (cameras and state).
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
        self.sims_by_id: dict[str, SimulatedServoBus] = {}  # device id (`<arm>_follower`, ...) -> its bus
        self.services: dict[str, Any] = {}
        try:
            self.follower_ports = self._ports(cfg.follower_arms, cfg.follower_type, "follower")
            self.leader_ports = self._ports(cfg.leader_arms, cfg.leader_type, "leader")
        except BaseException:
            self.close()
            raise
        if cfg.mock and input_fn is input:
            # Nobody can move simulated joints by hand from a terminal: a simulated person answers the
            # calibration prompts (and sweeps the joints), so every control runs without hardware.
            logger.info("--robot.mock=true: a simulated user answers the calibration prompts.")
            self.input_fn = SimulatedUser(self.sims_by_id)

    def __enter__(self) -> Devices:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ports(self, arms: dict[str, str], device_type: str, role: str) -> dict[str, str]:
        if not self.cfg.mock:
            return dict(arms)
        ports = {}
        for arm in arms:
            sim = SimulatedServoBus.from_models(ROBOT_PRESETS[device_type]).start()
            self.sims.append(sim)
            self.sims_by_id[f"{arm}_{role}"] = sim
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
