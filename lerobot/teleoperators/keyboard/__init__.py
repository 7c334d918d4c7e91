"""Keyboard teleoperator: the keys pressed since the last call."""

from lerobot.teleoperators.keyboard.config_keyboard import KeyboardTeleopConfig
from lerobot.teleoperators.keyboard.keyboard import KeyboardTeleop

__all__ = ["KeyboardTeleop", "KeyboardTeleopConfig"]
