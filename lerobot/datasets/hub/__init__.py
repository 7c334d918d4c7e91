"""Datasets on the Hugging Face Hub: version-tag resolution and downloads (`fetch`), uploads with the
dataset card and the version tag (`push`)."""

from lerobot.datasets.hub.fetch import HubDownloadError, VersionTagError, download, get_safe_version
from lerobot.datasets.hub.push import dataset_card, push_dataset_to_hub

__all__ = [
    "HubDownloadError",
    "VersionTagError",
    "dataset_card",
    "download",
    "get_safe_version",
    "push_dataset_to_hub",
]
