"""Former path of `lerobot.datasets.hub.push` (dataset upload), kept so existing imports work."""

from lerobot.datasets.hub.push import CARD_TEMPLATE, dataset_card, push_dataset_to_hub

__all__ = ["CARD_TEMPLATE", "dataset_card", "push_dataset_to_hub"]
