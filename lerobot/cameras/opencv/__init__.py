"""OpenCV cameras (`type: opencv`): USB webcams and video files."""

from lerobot.cameras.opencv.config_opencv import OpenCVCameraConfig
from lerobot.cameras.opencv.opencv import OpenCVCamera

__all__ = ["OpenCVCamera", "OpenCVCameraConfig"]
