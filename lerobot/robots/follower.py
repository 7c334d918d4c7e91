"""Base of follower arms: joint positions in, goal positions out, cameras, max_relative_target clamping.

Features: `"<motor>.pos"` floats (degrees, or -100..100 when `use_degrees=False`; gripper 0..100) and one
(H, W, 3) image per camera.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from lerobot.cameras.configs import CameraConfig
from lerobot.cameras.utils import make_cameras_from_configs
from lerobot.devices.arm import MotorArmMixin
from lerobot.motors.motor import Motor
from lerobot.motors.motors_bus import MotorsBus
from lerobot.robots.config import RobotConfig
from lerobot.robots.robot import CAMERA_TIMEOUT_MS, Robot
from lerobot.utils.robot_utils import ensure_safe_goal_position


@dataclass(kw_only=True)
class FollowerArmConfig(RobotConfig):
    # Serial port of the motor bus, e.g. /dev/ttyACM0 (find it with `lerobot-find-port`).
    port: str
    # Turn the motors' torque off when disconnecting.
    disable_torque_on_disconnect: bool = True
    # Largest change of a joint per command, in normalized units: one float for all, or per motor.
    max_relative_target: float | dict[str, float] | None = None
    # Cameras: name -> camera config ({type: opencv, index_or_path: ..., fps, width, height}).
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    # Joints in degrees; False -> -100..100.
    use_degrees: bool = True

    def __post_init__(self):
        super().__post_init__()
        mrt = self.max_relative_target
        values = mrt.values() if isinstance(mrt, dict) else [] if mrt is None else [mrt]
        if any(v <= 0 for v in values):
            raise ValueError(f"max_relative_target must be positive, got {mrt}.")


class FollowerArm(MotorArmMixin, Robot, abc.ABC):
    config: FollowerArmConfig
    bus_class: type[MotorsBus]

    def __init__(self, config: FollowerArmConfig):
        super().__init__(config)
        motors = self.make_motors(config.use_degrees)
        if isinstance(config.max_relative_target, dict):
            unknown = set(config.max_relative_target) - set(motors)
            if unknown:
                raise ValueError(
                    f"max_relative_target names unknown motors {sorted(unknown)}; motors are {list(motors)}."
                )
        self.bus = self.bus_class(port=config.port, motors=motors, calibration=self.calibration)
        self.cameras = make_cameras_from_configs(config.cameras)

    @staticmethod
    @abc.abstractmethod
    def make_motors(use_degrees: bool) -> dict[str, Motor]: ...

    @property
    def feature_motors(self) -> list[str]:
        """Motors exposed as features (all by default; arms with shadow motors hide those)."""
        return list(self.bus.motors)

    @property
    def _motors_ft(self) -> dict[str, type]:
        return {f"{m}.pos": float for m in self.feature_motors}

    @property
    def _cameras_ft(self) -> dict[str, tuple[int, int, int]]:
        return {name: (cam.height, cam.width, 3) for name, cam in self.cameras.items()}

    @property
    def observation_features(self) -> dict[str, Any]:
        return {**self._motors_ft, **self._cameras_ft}

    @property
    def action_features(self) -> dict[str, type]:
        return self._motors_ft

    @property
    def is_connected(self) -> bool:
        return self.bus.is_connected and all(cam.is_connected for cam in self.cameras.values())

    def connect(self, calibrate: bool = True) -> None:
        self._arm_connect(calibrate, self.cameras)

    def get_observation(self) -> dict[str, Any]:
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        positions = self.bus.sync_read("Present_Position", self.feature_motors)
        obs: dict[str, Any] = {f"{m}.pos": v for m, v in positions.items()}
        for name, cam in self.cameras.items():
            obs[name] = cam.async_read(timeout_ms=CAMERA_TIMEOUT_MS)
        return obs

    def send_action(self, action: dict[str, Any]) -> dict[str, float]:
        """Command goal positions; returns the action actually sent (after clamping)."""
        self._check_action(action)
        goal = {k.removesuffix(".pos"): float(v) for k, v in action.items()}
        if self.config.max_relative_target is not None:
            present = self.bus.sync_read("Present_Position", list(goal))
            goal = ensure_safe_goal_position(
                {m: (g, present[m]) for m, g in goal.items()}, self.config.max_relative_target
            )
        self.bus.sync_write("Goal_Position", goal)
        return {f"{m}.pos": v for m, v in goal.items()}

    def disconnect(self) -> None:
        if not self.bus.is_connected:
            return
        self._arm_disconnect(self.config.disable_torque_on_disconnect, self.cameras)
