from lerobot.cameras.realsense.realsense import RealSenseCamera
from lerobot.cameras.realsense.config_realsense import RealSenseCameraConfig

__all__ = ["RealSenseCamera", "RealSenseCameraConfig"]
