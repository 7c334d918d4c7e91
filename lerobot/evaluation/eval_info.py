"""`eval_info.json`: the reference's v0.4+ layout (`overall` / `per_group` / `per_task`) plus our `per_episode`
records. This module owns the layout; `lerobot-eval`, the demo and library users write it through here."""

import json
from pathlib import Path
from typing import Any

from lerobot.envs.configs import EnvConfig

EVAL_INFO_NAME = "eval_info.json"


def eval_info_layout(result: dict[str, Any], env_cfg: EnvConfig) -> dict[str, Any]:
    """The reference's v0.4+ eval_info.json layout (overall / per_group / per_task) + per-episode records.

    `result` is what `lerobot.evaluation.rollout.eval_policy` returns."""
    episodes = result["per_episode"]
    agg = result["aggregated"]
    group = {
        k: agg[k] for k in ("avg_sum_reward", "avg_max_reward", "pc_success", "pc_success_ci95", "n_episodes")
    }
    return {
        "overall": {**agg, "video_paths": result["video_paths"]},
        "per_group": {env_cfg.type: {**group, "video_paths": result["video_paths"]}},
        "per_task": [
            {
                "task_group": env_cfg.type,
                "task_id": 0,
                "task": env_cfg.task,
                "metrics": {
                    "sum_rewards": [e["sum_reward"] for e in episodes],
                    "max_rewards": [e["max_reward"] for e in episodes],
                    "successes": [e["success"] for e in episodes],
                    "video_paths": result["video_paths"],
                },
            }
        ],
        "per_episode": episodes,
    }


def write_eval_info(info: dict[str, Any], output_dir: str | Path) -> Path:
    """Write `info` (an `eval_info_layout`) as `<output_dir>/eval_info.json`; returns the file."""
    path = Path(output_dir) / EVAL_INFO_NAME
    with open(path, "w") as f:
        json.dump(info, f, indent=2)
    return path
