"""Example 3: train a policy with a plain PyTorch loop over the library (dataset -> policy -> optimizer).

    python examples/3_train_policy.py

Trains a small ACT (camera + pusher position -> chunks of target positions) on the example PushT dataset
(recorded by example 1 on first use) and saves it to `outputs/examples/train_act/pretrained_model`,
loadable with `ACTPolicy.from_pretrained` (example 2), `lerobot-eval --policy.path=...` or
`lerobot-train --policy.path=...`. For real runs use `lerobot-train` (example 4): it adds checkpoints
with optimizer state, resuming, evaluation and logging.
Environment: LEROBOT_EXAMPLES_DIR (default outputs/examples), LEROBOT_EXAMPLES_QUICK=1 (a few steps).
"""

import os
from pathlib import Path

import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
from lerobot.datasets.utils import resolve_delta_timestamps
from lerobot.envs.expert_dataset import REPO_ID, record_pusht_expert_dataset
from lerobot.policies.act.modeling_act import ACTPolicy
from lerobot.policies.factory import make_policy, make_policy_config

OUT = Path(os.environ.get("LEROBOT_EXAMPLES_DIR", "outputs/examples"))
QUICK = os.environ.get("LEROBOT_EXAMPLES_QUICK") == "1"
root, output_dir = OUT / "pusht", OUT / "train_act" / "pretrained_model"
if not (root / "meta/info.json").is_file():
    record_pusht_expert_dataset(root, n_episodes=3 if QUICK else 10, max_steps=30 if QUICK else 300)
steps, batch_size, log_every = (3, 4, 1) if QUICK else (2000, 32, 100)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)

# The policy is built from the dataset's features (inputs/outputs) and stats (normalisation, saved with it).
meta = LeRobotDatasetMetadata(REPO_ID, root=root)
cfg = make_policy_config(
    "act", chunk_size=10, n_action_steps=10, dim_model=128, n_heads=4, dim_feedforward=512,
    n_encoder_layers=2, n_decoder_layers=1, use_vae=False, pretrained_backbone_weights=None,
    device=device.type, push_to_hub=False,
)  # fmt: skip
policy = make_policy(cfg, ds_meta=meta)
policy.train()

# The policy declares the time windows it needs (ACT: a chunk of future actions); the dataset derives them.
dataset = LeRobotDataset(REPO_ID, root=root, delta_timestamps=resolve_delta_timestamps(cfg, meta))
loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True)
optimizer = torch.optim.AdamW(
    policy.get_optim_params(), lr=cfg.optimizer_lr, weight_decay=cfg.optimizer_weight_decay
)

step = 0
while step < steps:
    for batch in loader:
        batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        loss, info = policy.forward(batch)  # normalises inputs/targets with the dataset stats
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step += 1
        if step % log_every == 0:
            print(f"step {step}: loss {loss.item():.3f}")
        if step >= steps:
            break

policy.save_pretrained(output_dir)  # config.json + model.safetensors + normalisation stats
print(f"Saved the policy to {output_dir}")
reloaded = ACTPolicy.from_pretrained(output_dir)
print("Reloaded:", type(reloaded).__name__, sum(p.numel() for p in reloaded.parameters()), "parameters")
