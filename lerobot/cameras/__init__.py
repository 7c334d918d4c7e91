"""Cameras: one folder per backend (`opencv/`, `realsense/`), registered by config `type`.

`make_cameras_from_configs({"laptop": OpenCVCameraConfig(...)})` builds them; `find_cameras()` lists them.
"""

from lerobot.cameras.camera import Camera
from lerobot.cameras.configs import CameraConfig, ColorMode, Cv2Rotation

__all__ = ["Camera", "CameraConfig", "ColorMode", "Cv2Rotation"]
