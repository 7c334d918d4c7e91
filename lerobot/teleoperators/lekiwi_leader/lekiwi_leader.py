"""LeKiwi teleoperator (`type: lekiwi_leader`): an SO-100 leader arm for the arm and the keyboard for the base.

Action: the leader's joints as `arm_<joint>.pos` plus the base velocities `x.vel`, `y.vel`, `theta.vel`
from the keys held (`teleop_keys`, default w/s forward/back, a/d left/right, z/x rotate, r/f speed level),
i.e. exactly the action of `lekiwi` / `lekiwi_client`. The reference composes the two by hand in its LeKiwi
examples; here they are one registered teleoperator, so `lerobot-record` / `lerobot-teleoperate` drive LeKiwi
like any arm. The leader's calibration file is the `so100_leader` one of the same id.
"""

from __future__ import annotations

from typing import Any

from lerobot.devices.lekiwi_keys import keys_to_base_action
from lerobot.devices.multi_arm import prefixed
from lerobot.teleoperators.keyboard import KeyboardTeleop, KeyboardTeleopConfig
from lerobot.teleoperators.lekiwi_leader.config_lekiwi_leader import LeKiwiLeaderConfig
from lerobot.teleoperators.so100_leader import SO100Leader, SO100LeaderConfig
from lerobot.teleoperators.teleoperator import Teleoperator


class LeKiwiLeader(Teleoperator):
    name = "lekiwi_leader"
    config_class = LeKiwiLeaderConfig

    def __init__(self, config: LeKiwiLeaderConfig):
        super().__init__(config)
        self.config: LeKiwiLeaderConfig = config
        self.arm = SO100Leader(
            SO100LeaderConfig(
                id=config.id,
                calibration_dir=config.calibration_dir,
                port=config.port,
                use_degrees=config.use_degrees,
            )
        )
        self.keyboard = KeyboardTeleop(KeyboardTeleopConfig(backend=config.keyboard_backend))
        self.speed_index = 0

    @property
    def action_features(self) -> dict[str, Any]:
        return {
            **prefixed("arm", self.arm.action_features),
            **dict.fromkeys(("x.vel", "y.vel", "theta.vel"), float),
        }

    @property
    def keys_in_use(self) -> frozenset[str]:
        return frozenset(self.config.teleop_keys.values())

    @property
    def is_connected(self) -> bool:
        return self.arm.is_connected and self.keyboard.is_connected

    @property
    def is_calibrated(self) -> bool:
        return self.arm.is_calibrated

    def calibrate(self) -> None:
        self.arm.input_fn = self.input_fn
        self.arm.calibrate()

    def configure(self) -> None:
        self.arm.configure()

    def connect(self, calibrate: bool = True) -> None:
        self.arm.input_fn = self.input_fn
        self.arm.connect(calibrate)
        try:
            self.keyboard.connect()
        except BaseException:
            self.arm.disconnect()
            raise

    def get_action(self) -> dict[str, Any]:
        action = prefixed("arm", self.arm.get_action())
        base, self.speed_index = keys_to_base_action(
            self.keyboard.get_action(), self.config.teleop_keys, self.speed_index
        )
        return {**action, **base}

    def disconnect(self) -> None:
        try:
            self.arm.disconnect()
        finally:
            if self.keyboard.is_connected:
                self.keyboard.disconnect()
