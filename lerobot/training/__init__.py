"""Training, as a library: what `lerobot-train` runs.

- `loop.py`: `train(TrainPipelineConfig)`, the whole run (resume, logs, checkpoints, evaluations, Hub
  upload), and the names of its metrics files (`TRAIN_METRICS_FILE`, `EVAL_METRICS_FILE`).
- `update.py`: `update_policy`, one optimizer step.
- `data.py`: `make_dataset`, `frame_indices` and the resumable batch stream `ResumableBatchSampler`.
"""

from lerobot.training.data import ResumableBatchSampler, frame_indices, make_dataset
from lerobot.training.loop import (
    EVAL_METRICS_FILE,
    TRAIN_METRICS_FILE,
    append_jsonl,
    evaluate,
    push_policy_to_hub,
    resolve_resume,
    train,
)
from lerobot.training.update import update_policy

__all__ = [
    "EVAL_METRICS_FILE",
    "TRAIN_METRICS_FILE",
    "ResumableBatchSampler",
    "append_jsonl",
    "evaluate",
    "frame_indices",
    "make_dataset",
    "push_policy_to_hub",
    "resolve_resume",
    "train",
    "update_policy",
]
