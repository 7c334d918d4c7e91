"""Config of the `lekiwi_leader` teleoperator."""

from __future__ import annotations

from dataclasses import dataclass, field

from lerobot.devices.lekiwi_keys import default_teleop_keys
from lerobot.teleoperators.config import TeleoperatorConfig


@TeleoperatorConfig.register_subclass("lekiwi_leader")
@dataclass(kw_only=True)
class LeKiwiLeaderConfig(TeleoperatorConfig):
    # Serial port of the SO-100 leader arm (find it with `lerobot-find-port`).
    port: str
    # Arm joints in degrees; false -> -100..100.
    use_degrees: bool = True
    # Keyboard backend for the base keys: auto, pynput, terminal or none (see the `keyboard` teleoperator).
    keyboard_backend: str = "auto"
    # Base command -> key; the commands given override the defaults (`--teleop.teleop_keys="{speed_up: t}"`).
    teleop_keys: dict[str, str] = field(default_factory=default_teleop_keys)

    def __post_init__(self):
        unknown = sorted(set(self.teleop_keys) - set(default_teleop_keys()))
        if unknown:
            raise ValueError(
                f"teleop_keys: unknown base commands {unknown}; known: {sorted(default_teleop_keys())}."
            )
        self.teleop_keys = {**default_teleop_keys(), **self.teleop_keys}
