"""WidowX 250 leader arm (one ALOHA leader)."""

from lerobot.teleoperators.widowx.config_widowx import WidowXConfig
from lerobot.teleoperators.widowx.widowx import WidowX

__all__ = ["WidowX", "WidowXConfig"]
