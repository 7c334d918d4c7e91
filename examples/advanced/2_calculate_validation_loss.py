"""Advanced example 2: the loss of a trained policy on held-out episodes (a validation loss).

    python examples/advanced/2_calculate_validation_loss.py [POLICY]

Splits the example dataset's episodes into train (the first 80%) and validation (the rest), loads the
policy (default: the one example 3 saves) and averages its training loss over the validation episodes,
in eval mode and without gradients. The time windows come from the policy's config, as in training.
Environment: LEROBOT_EXAMPLES_DIR (default outputs/examples), LEROBOT_EXAMPLES_QUICK=1.
"""

import math
import os
import sys
from pathlib import Path

import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
from lerobot.datasets.utils import resolve_delta_timestamps
from lerobot.envs.expert_dataset import REPO_ID
from lerobot.policies.pretrained import PreTrainedPolicy

OUT = Path(os.environ.get("LEROBOT_EXAMPLES_DIR", "outputs/examples"))
root = OUT / "pusht"
source = sys.argv[1] if len(sys.argv) > 1 else OUT / "train_act" / "pretrained_model"
if not (root / "meta/info.json").is_file() or (not sys.argv[1:] and not Path(source).is_dir()):
    sys.exit("Run `python examples/3_train_policy.py` first (it records the dataset and trains the policy).")

policy = PreTrainedPolicy.from_pretrained(source)
policy.eval()  # no dropout

meta = LeRobotDatasetMetadata(REPO_ID, root=root)
n_train = max(1, math.floor(meta.total_episodes * 0.8))
val_episodes = list(range(n_train, meta.total_episodes)) or [meta.total_episodes - 1]
print(f"train episodes 0-{n_train - 1}, validation episodes {val_episodes}")

val_set = LeRobotDataset(
    REPO_ID, root=root, episodes=val_episodes, delta_timestamps=resolve_delta_timestamps(policy.config, meta)
)
loader = torch.utils.data.DataLoader(val_set, batch_size=16, shuffle=False)
total, n = 0.0, 0
with torch.inference_mode():
    for batch in loader:
        loss, _ = policy.forward(batch)  # the mean loss of the batch
        total += loss.item() * len(batch["index"])
        n += len(batch["index"])
print(f"Validation loss over {n} frames of {len(val_episodes)} episode(s): {total / n:.4f}")
