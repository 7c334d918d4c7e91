"""Former path of `lerobot.datasets.writing.writer` (the dataset writer), kept so existing imports work."""

from lerobot.datasets.writing.commit import recover
from lerobot.datasets.writing.lock import DatasetLockedError
from lerobot.datasets.writing.writer import CODEBASE_VERSION, DatasetWriter

__all__ = ["CODEBASE_VERSION", "DatasetLockedError", "DatasetWriter", "recover"]
