"""Former path of `lerobot.datasets.writing.image_writer` (temporary PNGs), kept so existing imports work."""

from lerobot.datasets.writing.image_writer import (
    AsyncImageWriter,
    image_to_hwc_uint8,
    load_image_hwc,
    write_image,
)

__all__ = ["AsyncImageWriter", "image_to_hwc_uint8", "load_image_hwc", "write_image"]
