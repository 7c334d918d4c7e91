"""Intel RealSense cameras (`type: intelrealsense`)."""

from lerobot.cameras.realsense.config_realsense import RealSenseCameraConfig
from lerobot.cameras.realsense.realsense import RealSenseCamera

__all__ = ["RealSenseCamera", "RealSenseCameraConfig"]
