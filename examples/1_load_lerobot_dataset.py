"""Example 1: load a LeRobot dataset, read its metadata, index frames, use time windows and a DataLoader.

    python examples/1_load_lerobot_dataset.py

Offline: the first run records a small PushT dataset with the scripted expert into
`outputs/examples/pusht` (`lerobot/envs/expert_dataset.py`; same features as the Hub's `lerobot/pusht`).
With a Hub connection, `LeRobotDataset("lerobot/pusht")` downloads that one instead.
Environment: LEROBOT_EXAMPLES_DIR (default outputs/examples), LEROBOT_EXAMPLES_QUICK=1 (a tiny dataset).
"""

import os
from pathlib import Path

import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
from lerobot.envs.expert_dataset import REPO_ID, record_pusht_expert_dataset

OUT = Path(os.environ.get("LEROBOT_EXAMPLES_DIR", "outputs/examples"))
QUICK = os.environ.get("LEROBOT_EXAMPLES_QUICK") == "1"
root = OUT / "pusht"
if not (root / "meta/info.json").is_file():
    print(f"Recording a small PushT dataset with the scripted expert into {root} ...")
    record_pusht_expert_dataset(root, n_episodes=3 if QUICK else 10, max_steps=30 if QUICK else 300)

# 1. Metadata only (no frames loaded): fps, sizes, features, stats.
meta = LeRobotDatasetMetadata(REPO_ID, root=root)
print(
    f"{meta.total_episodes} episodes, {meta.total_frames} frames at {meta.fps} fps; cameras {meta.camera_keys}"
)
print("features:", {key: ft["shape"] for key, ft in meta.features.items()})
print("mean action:", meta.stats["action"]["mean"])

# 2. Frames of a subset of episodes. An item is a dict of tensors: camera (C, H, W) float in [0, 1].
dataset = LeRobotDataset(REPO_ID, root=root, episodes=[0, 2])
print(dataset)
print("info.json keys:", sorted(dataset.info)[:6], "... videos in", dataset.videos_dir)
edi = dataset.episode_data_index  # rows of each loaded episode: [from, to)
print("episode rows:", list(zip(edi["from"].tolist(), edi["to"].tolist())))
item = dataset[int(edi["from"][1])]  # first frame of the second loaded episode
print({k: tuple(v.shape) if isinstance(v, torch.Tensor) else v for k, v in item.items()})

# 3. Time windows: offsets in seconds (multiples of 1/fps) relative to each frame; `<key>_is_pad` marks
# the positions past the episode's ends (they repeat the first/last frame).
delta_timestamps = {
    "observation.image": [-0.1, 0.0],  # the previous and the current frame
    "observation.state": [-0.1, 0.0],
    "action": [t / meta.fps for t in range(8)],  # the next 8 actions (a chunk)
}
dataset = LeRobotDataset(REPO_ID, root=root, delta_timestamps=delta_timestamps)
item = dataset[0]
print("image window", tuple(item["observation.image"].shape), "action chunk", tuple(item["action"].shape))
print("padded at the episode start:", item["observation.image_is_pad"].tolist())

# 4. Batches: the standard DataLoader (workers are safe: items hold no open files).
loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True, num_workers=0 if QUICK else 2)
batch = next(iter(loader))
print({k: tuple(v.shape) for k, v in batch.items() if isinstance(v, torch.Tensor)})
