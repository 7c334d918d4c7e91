"""Former path of `lerobot.datasets.writing.frames` (features, frame validation) and of the v3.0 layout and
schemas (now owned by `lerobot.datasets.formats.v30`), kept so existing imports work."""

from lerobot.datasets.formats.common import INFO_PATH
from lerobot.datasets.formats.v30 import (
    DATA_PATH,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_DATA_FILE_SIZE_IN_MB,
    DEFAULT_VIDEO_FILE_SIZE_IN_MB,
    EPISODES_PATH,
    STAT_NAMES,
    STATS_PATH,
    TASKS_PATH,
    VIDEO_PATH,
    data_schema,
    data_table,
    episodes_schema,
    episodes_table,
)
from lerobot.datasets.writing.frames import (
    CAMERA_DTYPES,
    DEFAULT_FEATURES,
    IMAGES_DIR,
    STAGING_DIR,
    TEMP_IMAGE_PATH,
    build_features,
    fsync_dir,
    temp_image_path,
    validate_frame,
    write_json_file,
)

__all__ = [
    "CAMERA_DTYPES",
    "DATA_PATH",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_DATA_FILE_SIZE_IN_MB",
    "DEFAULT_FEATURES",
    "DEFAULT_VIDEO_FILE_SIZE_IN_MB",
    "EPISODES_PATH",
    "IMAGES_DIR",
    "INFO_PATH",
    "STAGING_DIR",
    "STATS_PATH",
    "STAT_NAMES",
    "TASKS_PATH",
    "TEMP_IMAGE_PATH",
    "VIDEO_PATH",
    "build_features",
    "data_schema",
    "data_table",
    "episodes_schema",
    "episodes_table",
    "fsync_dir",
    "temp_image_path",
    "validate_frame",
    "write_json_file",
]
