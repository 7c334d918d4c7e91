"""Evaluate a policy in simulation: batched rollouts, per-episode rewards/success, videos, eval_info.json.

Usage (from a clone, or as the console script `lerobot-eval` with the same flags):

    python lerobot/scripts/eval.py --policy.path=lerobot/diffusion_pusht --env.type=pusht \
        --eval.batch_size=10 --eval.n_episodes=10 --policy.use_amp=false --policy.device=cuda

`--policy.path` is a local `pretrained_model` folder or a Hub repo id; without a policy, actions are
sampled uniformly from the env's action space (a baseline), and `--policy.type=<name>` evaluates a
randomly initialised policy built for the env's features.

Rollout: episodes run `eval.batch_size` at a time in a gymnasium vector env; episode i is
reset with seed `seed + i`; a batch steps until every sub-env is done. Per episode, the frames up to and
including the first done count: `sum_reward`, `max_reward`, `success` (any `is_success`).

Output `<output_dir>/eval_info.json`: `overall`, `per_group` (by env type), `per_task` (the reference's
v0.4+ layout), plus `per_episode` records; success rates come with a 95% Wilson confidence interval.

This script only parses the flags; the evaluation is the library's `lerobot.evaluation` (rollouts,
metrics, videos, the eval_info.json layout, the policy/env feature check), whose names it re-exports.
"""

import logging
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python lerobot/scripts/eval.py` from a clone
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lerobot.configs.eval import EvalPipelineConfig
from lerobot.configs.parser import parse
from lerobot.evaluation import (  # noqa: F401  (re-exported: `from lerobot.scripts.eval import eval_policy`)
    EVAL_INFO_NAME,
    RandomPolicy,
    check_policy_matches_env,
    episode_metrics,
    eval_info_layout,
    eval_main,
    eval_policy,
    make_eval_policy,
    rollout,
    wilson_interval,
)
from lerobot.utils.cli import command
from lerobot.utils.random_utils import set_seed  # noqa: F401  (re-exported)


# The console script `lerobot-eval`: bad flags and inputs end in one `lerobot-eval: error: ...` line (see
# lerobot/utils/cli.py); `--debug` shows the traceback.
@command("lerobot-eval")
def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Console entry point (`lerobot-eval`): parse the flags into EvalPipelineConfig and run it."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    return eval_main(parse(EvalPipelineConfig, argv))


cli = main  # the name pyproject.toml's `lerobot-eval` points to


if __name__ == "__main__":
    main()
