"""ALOHA: two ViperX follower arms and 4 RealSense cameras."""

from lerobot.robots.aloha.aloha import Aloha
from lerobot.robots.aloha.config_aloha import AlohaConfig, aloha_cameras

__all__ = ["Aloha", "AlohaConfig", "aloha_cameras"]
