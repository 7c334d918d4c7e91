"""Config of the `keyboard` teleoperator."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.teleoperators.config import TeleoperatorConfig


@TeleoperatorConfig.register_subclass("keyboard")
@dataclass(kw_only=True)
class KeyboardTeleopConfig(TeleoperatorConfig):
    # "auto" (pynput with a display, else the terminal), "pynput", "terminal" or "none" (press() only).
    backend: str = "auto"

    def __post_init__(self):
        if self.backend not in ("auto", "pynput", "terminal", "none"):
            raise ValueError(
                f"keyboard backend must be auto, pynput, terminal or none; got '{self.backend}'."
            )
