"""LeKiwi configs: the robot itself (`lekiwi`, runs on the robot's computer) and its network client
(`lekiwi_client`, runs on your laptop and talks to `lekiwi_host` over ZMQ)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lerobot.cameras.configs import CameraConfig, Cv2Rotation
from lerobot.cameras.opencv.config_opencv import OpenCVCameraConfig
from lerobot.devices.lekiwi_keys import default_teleop_keys
from lerobot.robots.config import RobotConfig


def lekiwi_cameras() -> dict[str, CameraConfig]:
    return {
        "front": OpenCVCameraConfig(
            index_or_path="/dev/video0", fps=30, width=640, height=480, rotation=Cv2Rotation.ROTATE_180
        ),
        "wrist": OpenCVCameraConfig(
            index_or_path="/dev/video2", fps=30, width=480, height=640, rotation=Cv2Rotation.ROTATE_90
        ),
    }


@RobotConfig.register_subclass("lekiwi")
@dataclass(kw_only=True)
class LeKiwiConfig(RobotConfig):
    """SO-100 arm (ids 1-6) + 3 omni wheels (ids 7-9), all Feetech STS3215 on one bus."""

    # Serial port of the motor bus on the robot's computer.
    port: str = "/dev/ttyACM0"
    # Turn the motors' torque off when disconnecting.
    disable_torque_on_disconnect: bool = True
    # Per-step clamp of each commanded arm joint change (degrees; gripper percent). Wheels are not clamped.
    max_relative_target: float | dict[str, float] | None = None
    # Cameras: name -> camera config ({type: opencv, index_or_path: ..., fps, width, height}).
    cameras: dict[str, CameraConfig] = field(default_factory=lekiwi_cameras)
    # Arm joints in degrees; false -> -100..100.
    use_degrees: bool = True
    # Wheel radius and distance from the base centre to the wheels, in metres.
    wheel_radius: float = 0.05
    # Distance from the base centre to the wheels, in metres.
    base_radius: float = 0.125
    # Wheel speed limit in raw units (ticks/s); commands are scaled down together to respect it.
    max_wheel_raw: int = 3000

    def __post_init__(self):
        super().__post_init__()
        if self.wheel_radius <= 0 or self.base_radius <= 0:
            raise ValueError(
                f"wheel_radius and base_radius must be positive, got {self.wheel_radius}, {self.base_radius}."
            )


@dataclass
class LeKiwiHostConfig:
    port_zmq_cmd: int = 5555
    port_zmq_observations: int = 5556
    # Stop the base when no command arrived for this long (seconds).
    watchdog_timeout_s: float = 0.5
    # Loop rate of the host (Hz) and total run time (None: forever).
    max_loop_freq_hz: int = 30
    connection_time_s: float | None = None


@RobotConfig.register_subclass("lekiwi_client")
@dataclass(kw_only=True)
class LeKiwiClientConfig(RobotConfig):
    # Address of the robot running `python -m lerobot.robots.lekiwi.lekiwi_host`.
    remote_ip: str
    # TCP port of the host's command socket.
    port_zmq_cmd: int = 5555
    # TCP port of the host's observation socket.
    port_zmq_observations: int = 5556
    # Keyboard keys driving the base (with the `keyboard` teleoperator).
    teleop_keys: dict[str, str] = field(default_factory=default_teleop_keys)
    # Camera shapes the host sends (name -> [height, width, 3]); they size recorded datasets.
    camera_shapes: dict[str, list[int]] = field(
        default_factory=lambda: {"front": [480, 640, 3], "wrist": [640, 480, 3]}
    )
    # Milliseconds to wait for an observation per poll.
    polling_timeout_ms: int = 15
    # Seconds to wait for the host's first observation when connecting.
    connect_timeout_s: float = 5.0
