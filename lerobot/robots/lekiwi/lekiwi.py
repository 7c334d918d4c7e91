"""LeKiwi on its own computer: SO-100 arm + 3-wheel omnidirectional base on one Feetech bus.

Features: `arm_<joint>.pos` (degrees; gripper 0..100), base `x.vel`, `y.vel` (m/s), `theta.vel` (deg/s),
and the cameras. Body velocities map to wheel speeds with the omni-wheel kinematics
    wheel_linear_i = -sin(a_i) * x.vel + cos(a_i) * y.vel + base_radius * theta
for wheels mounted at angles a_i = (240, 0, 120) - 90 degrees; wheel angular speed = linear / radius,
sent as Goal_Velocity in ticks/s (4096 ticks per turn), scaled down together above `max_wheel_raw`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lerobot.cameras.utils import make_cameras_from_configs
from lerobot.devices.arm import MotorArmMixin
from lerobot.motors.feetech import FeetechMotorsBus
from lerobot.motors.motor import Motor, MotorNormMode
from lerobot.robots.lekiwi.config_lekiwi import LeKiwiConfig
from lerobot.robots.robot import CAMERA_TIMEOUT_MS, Robot
from lerobot.utils.robot_utils import ensure_safe_goal_position

ARM = (
    "arm_shoulder_pan",
    "arm_shoulder_lift",
    "arm_elbow_flex",
    "arm_wrist_flex",
    "arm_wrist_roll",
    "arm_gripper",
)
WHEELS = ("base_left_wheel", "base_back_wheel", "base_right_wheel")
BASE_KEYS = ("x.vel", "y.vel", "theta.vel")
TICKS_PER_DEG = 4096 / 360


def motor_features() -> dict[str, type]:
    """Arm joint positions and base velocities: the action, and the observation without cameras (the
    same on the robot and on its remote client)."""
    return {**{f"{m}.pos": float for m in ARM}, **dict.fromkeys(BASE_KEYS, float)}


def lekiwi_motors(use_degrees: bool) -> dict[str, Motor]:
    body = MotorNormMode.DEGREES if use_degrees else MotorNormMode.RANGE_M100_100
    motors = {name: Motor(i, "sts3215", body) for i, name in enumerate(ARM[:-1], start=1)}
    motors["arm_gripper"] = Motor(6, "sts3215", MotorNormMode.RANGE_0_100)
    for i, name in enumerate(WHEELS, start=7):
        motors[name] = Motor(i, "sts3215", MotorNormMode.RANGE_M100_100)
    return motors


class LeKiwi(MotorArmMixin, Robot):
    name = "lekiwi"
    config_class = LeKiwiConfig
    full_turn_motors = ("arm_wrist_roll", *WHEELS)
    bus_class = FeetechMotorsBus
    make_motors = staticmethod(lekiwi_motors)

    def __init__(self, config: LeKiwiConfig):
        super().__init__(config)
        self.config: LeKiwiConfig = config
        self.bus = FeetechMotorsBus(
            config.port, lekiwi_motors(config.use_degrees), calibration=self.calibration
        )
        self.cameras = make_cameras_from_configs(config.cameras)
        angles = np.radians(np.array([240.0, 0.0, 120.0]) - 90.0)
        # (3 wheels, 3 body dofs): wheel linear speeds = M @ [x.vel, y.vel, theta (rad/s)]
        self._kinematics = np.stack([-np.sin(angles), np.cos(angles), np.full(3, config.base_radius)], axis=1)

    @property
    def observation_features(self) -> dict[str, Any]:
        ft: dict[str, Any] = motor_features()
        ft.update({name: (cam.height, cam.width, 3) for name, cam in self.cameras.items()})
        return ft

    @property
    def action_features(self) -> dict[str, Any]:
        return motor_features()

    @property
    def is_connected(self) -> bool:
        return self.bus.is_connected and all(cam.is_connected for cam in self.cameras.values())

    def connect(self, calibrate: bool = True) -> None:
        self._arm_connect(calibrate, self.cameras)

    def configure(self) -> None:
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            self.bus.set_operating_mode("position", list(ARM))
            self.bus.set_operating_mode("velocity", list(WHEELS))
            for motor in ARM:
                self.bus.write("P_Coefficient", motor, 16)
                self.bus.write("I_Coefficient", motor, 0)
                self.bus.write("D_Coefficient", motor, 32)

    # -- kinematics
    def body_to_wheel_raw(self, x: float, y: float, theta_deg: float) -> dict[str, int]:
        linear = self._kinematics @ np.array([x, y, np.radians(theta_deg)])
        raw = np.degrees(linear / self.config.wheel_radius) * TICKS_PER_DEG
        peak = np.abs(raw).max()
        if peak > self.config.max_wheel_raw:
            raw *= self.config.max_wheel_raw / peak
        return {name: int(round(v)) for name, v in zip(WHEELS, raw, strict=True)}

    def wheel_raw_to_body(self, raw: dict[str, float]) -> dict[str, float]:
        linear = np.radians(np.array([raw[w] for w in WHEELS]) / TICKS_PER_DEG) * self.config.wheel_radius
        x, y, theta = np.linalg.solve(self._kinematics, linear)
        return {"x.vel": float(x), "y.vel": float(y), "theta.vel": float(np.degrees(theta))}

    def get_observation(self) -> dict[str, Any]:
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        obs: dict[str, Any] = {
            f"{m}.pos": v for m, v in self.bus.sync_read("Present_Position", list(ARM)).items()
        }
        obs.update(
            self.wheel_raw_to_body(self.bus.sync_read("Present_Velocity", list(WHEELS), normalize=False))
        )
        for name, cam in self.cameras.items():
            obs[name] = cam.async_read(timeout_ms=CAMERA_TIMEOUT_MS)
        return obs

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        self._check_action(action)
        goal = {k.removesuffix(".pos"): float(v) for k, v in action.items() if k.endswith(".pos")}
        if goal and self.config.max_relative_target is not None:
            present = self.bus.sync_read("Present_Position", list(goal))
            goal = ensure_safe_goal_position(
                {m: (g, present[m]) for m, g in goal.items()}, self.config.max_relative_target
            )
        if goal:
            self.bus.sync_write("Goal_Position", goal)
        sent: dict[str, Any] = {f"{m}.pos": v for m, v in goal.items()}
        if any(k in action for k in BASE_KEYS):
            base = {k: float(action.get(k, 0.0)) for k in BASE_KEYS}
            self.bus.sync_write("Goal_Velocity", self.body_to_wheel_raw(*base.values()), normalize=False)
            sent.update(base)
        return sent

    def stop_base(self) -> None:
        self.bus.sync_write("Goal_Velocity", dict.fromkeys(WHEELS, 0), normalize=False)

    def disconnect(self) -> None:
        if not self.bus.is_connected:
            return
        self.stop_base()
        self._arm_disconnect(self.config.disable_torque_on_disconnect, self.cameras)
