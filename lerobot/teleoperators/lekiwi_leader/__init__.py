"""LeKiwi teleoperator: an SO-100 leader arm and the keyboard for the base."""

from lerobot.teleoperators.lekiwi_leader.config_lekiwi_leader import LeKiwiLeaderConfig
from lerobot.teleoperators.lekiwi_leader.lekiwi_leader import LeKiwiLeader

__all__ = ["LeKiwiLeader", "LeKiwiLeaderConfig"]
