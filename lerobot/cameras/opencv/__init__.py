from lerobot.cameras.opencv.camera_opencv import OpenCVCamera
from lerobot.cameras.opencv.configuration_opencv import OpenCVCameraConfig

__all__ = ["OpenCVCamera", "OpenCVCameraConfig"]
