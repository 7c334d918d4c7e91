"""Cameras: one folder per backend (`opencv/`, `realsense/`), registered by config `type`.

`make_cameras_from_configs({"laptop": OpenCVCameraConfig(...)})` builds them; `find_cameras()` lists them.
The backend configs are imported here (they need no camera library) so that `--robot.cameras` can name
any `type` on the command line.
"""

from lerobot.cameras.camera import Camera
from lerobot.cameras.configs import CameraConfig, ColorMode, Cv2Rotation
from lerobot.cameras.opencv.config_opencv import OpenCVCameraConfig
from lerobot.cameras.realsense.config_realsense import RealSenseCameraConfig

__all__ = [
    "Camera",
    "CameraConfig",
    "ColorMode",
    "Cv2Rotation",
    "OpenCVCameraConfig",
    "RealSenseCameraConfig",
]
