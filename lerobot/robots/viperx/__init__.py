"""ViperX 300 follower arm (one ALOHA arm)."""

from lerobot.robots.viperx.config_viperx import ViperXConfig
from lerobot.robots.viperx.viperx import ViperX

__all__ = ["ViperX", "ViperXConfig"]
