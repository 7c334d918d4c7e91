"""Config of the `aloha_leader` teleoperator."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.teleoperators.config import TeleoperatorConfig


@TeleoperatorConfig.register_subclass("aloha_leader")
@dataclass(kw_only=True)
class AlohaLeaderConfig(TeleoperatorConfig):
    # Serial port of the left leader arm's motor bus.
    left_arm_port: str = "/dev/ttyDXL_leader_left"
    # Serial port of the right leader arm's motor bus.
    right_arm_port: str = "/dev/ttyDXL_leader_right"
    # Joints in degrees; false -> -100..100.
    use_degrees: bool = True
