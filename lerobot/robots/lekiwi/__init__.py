"""LeKiwi: SO-100 arm on a 3-wheel omnidirectional base; `lekiwi` on the robot, `lekiwi_client` remote."""

from lerobot.robots.lekiwi.config_lekiwi import LeKiwiClientConfig, LeKiwiConfig, LeKiwiHostConfig
from lerobot.robots.lekiwi.lekiwi import LeKiwi
from lerobot.robots.lekiwi.lekiwi_client import LeKiwiClient

__all__ = ["LeKiwi", "LeKiwiClient", "LeKiwiClientConfig", "LeKiwiConfig", "LeKiwiHostConfig"]
