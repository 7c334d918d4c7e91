from lerobot.cameras.realsense.camera_realsense import RealSenseCamera
from lerobot.cameras.realsense.configuration_realsense import RealSenseCameraConfig

__all__ = ["RealSenseCamera", "RealSenseCameraConfig"]
