"""Teleoperators (leader arms, ...), registered by `type`; `make_teleoperator_from_config` builds one."""

from lerobot.teleoperators.aloha_leader import AlohaLeader, AlohaLeaderConfig
from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.keyboard import KeyboardTeleop, KeyboardTeleopConfig
from lerobot.teleoperators.koch_leader import KochLeader, KochLeaderConfig
from lerobot.teleoperators.lekiwi_leader import LeKiwiLeader, LeKiwiLeaderConfig
from lerobot.teleoperators.so100_leader import SO100Leader, SO100LeaderConfig
from lerobot.teleoperators.teleoperator import Teleoperator
from lerobot.teleoperators.utils import make_teleoperator_from_config
from lerobot.teleoperators.widowx import WidowX, WidowXConfig

__all__ = [
    "KeyboardTeleop",
    "KeyboardTeleopConfig",
    "AlohaLeader",
    "AlohaLeaderConfig",
    "WidowX",
    "WidowXConfig",
    "KochLeader",
    "KochLeaderConfig",
    "LeKiwiLeader",
    "LeKiwiLeaderConfig",
    "SO100Leader",
    "SO100LeaderConfig",
    "Teleoperator",
    "TeleoperatorConfig",
    "make_teleoperator_from_config",
]
