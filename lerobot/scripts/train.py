"""Train a policy on a LeRobot dataset (docs/cli.md; run folder: docs/checkpoints.md), with evaluation in simulation and checkpoints.

Usage (from a clone, or as the console script `lerobot-train` with the same flags):

    python lerobot/scripts/train.py --policy.type=diffusion --dataset.repo_id=lerobot/pusht \
        --env.type=pusht --steps=200000 --batch_size=64 --eval_freq=25000 --policy.push_to_hub=false
    # resume the run where its last checkpoint left it:
    python lerobot/scripts/train.py --resume=true \
        --config_path=outputs/train/<run>/checkpoints/last/pretrained_model/train_config.json
    # several GPUs / nodes: one process per GPU through torchrun (torch DDP), same flags:
    torchrun --nproc_per_node=4 lerobot/scripts/train.py --policy.type=act ...

Each step: `policy.train()` -> forward (autocast when `--policy.use_amp`) -> backward
through a GradScaler -> clip the grad norm to `optimizer.grad_clip_norm` -> optimizer step -> zero grads
-> scheduler step -> `policy.update()` if the policy has it. Batches come from an endless, seeded stream
of shuffled frame indices (only frames the EpisodeAwareSampler keeps when the policy sets
`drop_n_last_frames`), so a resumed run sees exactly the batches an uninterrupted run would.

This script only parses the flags; the training run is the library's `lerobot.training`, whose names it
re-exports (`train`, `update_policy`, `ResumableBatchSampler`, `TRAIN_METRICS_FILE`, ...).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python lerobot/scripts/train.py` from a clone
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lerobot.configs.parser import parse, pop_arg
from lerobot.configs.train import TrainPipelineConfig
from lerobot.training import (  # noqa: F401  (re-exported: `from lerobot.scripts.train import train`)
    EVAL_METRICS_FILE,
    TRAIN_METRICS_FILE,
    ResumableBatchSampler,
    append_jsonl,
    evaluate,
    frame_indices,
    make_dataset,
    push_policy_to_hub,
    resolve_resume,
    train,
    update_policy,
)
from lerobot.utils.cli import command


# The console script `lerobot-train`: bad flags and inputs end in one `lerobot-train: error: ...` line (see
# lerobot/utils/cli.py); `--debug` shows the traceback.
@command("lerobot-train")
def main(argv: list[str] | None = None) -> Path:
    """Console entry point (`lerobot-train`): parse the flags into TrainPipelineConfig and train."""
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    args = list(sys.argv[1:] if argv is None else argv)
    config_path, _ = pop_arg(list(args), "config_path")
    cfg = parse(TrainPipelineConfig, args)
    return train(cfg, config_path=config_path)


cli = main  # the name pyproject.toml's `lerobot-train` points to


if __name__ == "__main__":
    main()
