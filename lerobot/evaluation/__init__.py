"""Evaluation in simulation, as a library: what `lerobot-eval` and the training's evaluations run.

- `rollout.py`: `rollout` (one batch of episodes in a vector env), `eval_policy` (many episodes, seeded),
  `RandomPolicy` (the no-policy baseline).
- `metrics.py`: per-episode metrics, aggregates, the 95% Wilson interval of the success rate.
- `eval_info.py`: the `eval_info.json` layout.
- `videos.py`: the rendered frames of a batch and their mp4 files.
- `features.py`: the policy/env feature check.
- `pipeline.py`: `eval_main(EvalPipelineConfig)`, the whole `lerobot-eval` run.
"""

from lerobot.evaluation.eval_info import EVAL_INFO_NAME, eval_info_layout, write_eval_info
from lerobot.evaluation.features import check_policy_matches_env
from lerobot.evaluation.metrics import aggregate_metrics, episode_metrics, wilson_interval
from lerobot.evaluation.pipeline import eval_main, make_eval_policy
from lerobot.evaluation.rollout import RandomPolicy, eval_policy, policy_device, rollout

__all__ = [
    "EVAL_INFO_NAME",
    "RandomPolicy",
    "aggregate_metrics",
    "check_policy_matches_env",
    "episode_metrics",
    "eval_info_layout",
    "eval_main",
    "eval_policy",
    "make_eval_policy",
    "policy_device",
    "rollout",
    "wilson_interval",
    "write_eval_info",
]
