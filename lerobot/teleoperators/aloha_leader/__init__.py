"""ALOHA leader: two WidowX leader arms."""

from lerobot.teleoperators.aloha_leader.aloha_leader import AlohaLeader
from lerobot.teleoperators.aloha_leader.config_aloha_leader import AlohaLeaderConfig

__all__ = ["AlohaLeader", "AlohaLeaderConfig"]
