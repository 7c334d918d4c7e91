"""Config of Intel RealSense cameras (`type: intelrealsense`)."""

from __future__ import annotations

from dataclasses import dataclass

from lerobot.cameras.configs import CameraConfig, ColorMode, Cv2Rotation


@CameraConfig.register_subclass("intelrealsense")
@dataclass(kw_only=True)
class RealSenseCameraConfig(CameraConfig):
    """A RealSense camera by serial number (digits) or by its unique device name.

    `use_depth=True` also streams depth (H, W) uint16 in millimetres, read with `read_depth()`.
    """

    # Serial number or name of the RealSense device (`lerobot-find-cameras intelrealsense`).
    serial_number_or_name: str
    # Channel order of the returned frames: rgb or bgr.
    color_mode: ColorMode = ColorMode.RGB
    # Also stream the depth image.
    use_depth: bool = False
    # Rotate frames by 0, 90, 180 or -90 degrees.
    rotation: Cv2Rotation = Cv2Rotation.NO_ROTATION
    # Seconds of frames read and dropped after connecting (exposure settles).
    warmup_s: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        self.color_mode = ColorMode(self.color_mode)
        self.rotation = Cv2Rotation(self.rotation)
        self.serial_number_or_name = str(self.serial_number_or_name)
        given = [v is not None for v in (self.fps, self.width, self.height)]
        if any(given) and not all(given):
            raise ValueError(
                "RealSense stream settings go together: set all of fps, width and height, or none of them "
                f"(got fps={self.fps}, width={self.width}, height={self.height})."
            )
