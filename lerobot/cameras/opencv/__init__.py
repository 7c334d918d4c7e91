from lerobot.cameras.opencv.opencv import OpenCVCamera
from lerobot.cameras.opencv.config_opencv import OpenCVCameraConfig

__all__ = ["OpenCVCamera", "OpenCVCameraConfig"]
