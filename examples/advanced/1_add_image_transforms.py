"""Advanced example 1: augment camera frames with image transforms while loading a dataset.

    python examples/advanced/1_add_image_transforms.py

Builds `ImageTransforms` from its config (the same as `lerobot-train --dataset.image_transforms.enable=true
...`), passes it to `LeRobotDataset(image_transforms=...)` (applied to every camera key, after decoding),
and writes the original frame and a few augmented ones as PNGs to `outputs/examples/image_transforms/`.
Uses the example dataset (recorded by example 1 on first use).
Environment: LEROBOT_EXAMPLES_DIR (default outputs/examples), LEROBOT_EXAMPLES_QUICK=1 (a tiny dataset).
"""

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.transforms import ImageTransformConfig, ImageTransforms, ImageTransformsConfig
from lerobot.envs.expert_dataset import REPO_ID, record_pusht_expert_dataset

OUT = Path(os.environ.get("LEROBOT_EXAMPLES_DIR", "outputs/examples"))
QUICK = os.environ.get("LEROBOT_EXAMPLES_QUICK") == "1"
root, out_dir = OUT / "pusht", OUT / "image_transforms"
if not (root / "meta/info.json").is_file():
    record_pusht_expert_dataset(root, n_episodes=3 if QUICK else 10, max_steps=30 if QUICK else 300)
out_dir.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)

# The default set (brightness, contrast, saturation, hue, sharpness), at most 3 per frame, plus our own:
# a small random rotation and shift. Each entry: sampling weight, transform type, its arguments.
cfg = ImageTransformsConfig(enable=True, max_num_transforms=3, random_order=True)
cfg.tfs["affine"] = ImageTransformConfig(
    weight=2.0, type="RandomAffine", kwargs={"degrees": [-10.0, 10.0], "translate": [0.1, 0.1]}
)
transforms = ImageTransforms(cfg)
print(transforms)

plain = LeRobotDataset(REPO_ID, root=root, episodes=[0])
augmented = LeRobotDataset(REPO_ID, root=root, episodes=[0], image_transforms=transforms)


def save(frame: torch.Tensor, name: str) -> Path:
    path = out_dir / name
    Image.fromarray((frame.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(path)
    return path


save(plain[0]["observation.image"], "original.png")
for i in range(4):  # each access draws new transforms
    frame = augmented[0]["observation.image"]
    assert frame.shape == plain[0]["observation.image"].shape and frame.min() >= 0 and frame.max() <= 1
    save(frame, f"augmented_{i}.png")
print(f"Wrote the original and 4 augmented frames to {out_dir}")
