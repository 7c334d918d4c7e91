"""`make demo`: the whole loop offline on a laptop CPU — demonstrations, training, evaluation.

Task: PushT (gym-pusht) with the state observation `environment_state_agent_pos` (16 keypoint coordinates of
the T + the pusher position), so that a small ACT policy learns in minutes on a CPU. Steps, each runnable
alone (the demo prints the equivalent lerobot-train / lerobot-eval commands):

    python -m lerobot.scripts.demo collect  [--out outputs/demo] [--n_demos 400]      # scripted expert -> v3.0 dataset
    python -m lerobot.scripts.demo train    [--out outputs/demo] [--steps 25000]      # lerobot-train on it
    python -m lerobot.scripts.demo evaluate [--out outputs/demo] [--n_eval 50]        # trained vs random vs expert
    python -m lerobot.scripts.demo                                                    # all three + report

Smaller flags give a faster run, e.g. `--n_demos 50 --steps 2000 --n_eval 10 --n_expert_eval 10`.
Outputs under `--out`: `dataset/` (LeRobotDataset v3.0), `train/` (checkpoints, train_metrics.jsonl,
eval_metrics.jsonl of the evaluations during training), `eval/{trained,random,expert}/eval_info.json` with
rollout videos, `rollout_success.mp4` / `rollout_failure.mp4` (trained policy), `training_curve.png` (loss
and success rate), `report.json`.
"""

import logging
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python lerobot/scripts/demo.py` from a clone
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lerobot.demo.pusht import (  # noqa: F401  (re-exported: the demo's steps, for notebooks and tests)
    FEATURES,
    N_DEMOS,
    N_NEAR_GOAL,
    REPO_ID,
    STEPS,
    _make_pusht,
    collect,
    evaluate,
    plot_training_curve,
    report,
    run,
    train,
    train_args,
)
from lerobot.utils.cli import ArgumentParser, command


@command("demo")
def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(prog="demo", description=__doc__.split("\n")[0])
    parser.add_argument(
        "step",
        nargs="?",
        default="all",
        choices=["all", "collect", "train", "evaluate"],
        help="the part to run",
    )
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="folder for every output")
    parser.add_argument(
        "--n_demos", type=int, default=N_DEMOS, help="expert episodes collected from the env's random start"
    )
    parser.add_argument(
        "--n_near_goal", type=int, default=None,
        help=f"expert episodes collected from near the goal (default: as many as --n_demos, {N_NEAR_GOAL})",
    )  # fmt: skip
    parser.add_argument("--n_eval", type=int, default=50, help="evaluation episodes (trained, random)")
    parser.add_argument("--n_expert_eval", type=int, default=100, help="evaluation episodes (expert)")
    parser.add_argument(
        "--n_episodes", type=int, default=None, help="alias: --n_demos for collect, --n_eval for evaluate"
    )
    parser.add_argument("--steps", type=int, default=STEPS, help="training steps")
    parser.add_argument("--batch_size", type=int, default=64, help="training batch size")
    parser.add_argument(
        "--eval_freq", type=int, default=None,
        help="steps between the evaluations during training (success curve; default steps/4, 0: none)",
    )  # fmt: skip
    parser.add_argument("--train_eval_episodes", type=int, default=10, help="episodes of each of those")
    parser.add_argument("--max_steps", type=int, default=300, help="episode length (collect and evaluate)")
    args = parser.parse_args(argv)
    for flag in (
        "n_demos",
        "n_eval",
        "n_expert_eval",
        "steps",
        "batch_size",
        "train_eval_episodes",
        "max_steps",
    ):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be a positive integer, got {getattr(args, flag)}")
    if args.n_near_goal is not None and args.n_near_goal < 0:
        parser.error(f"--n_near_goal must be a non-negative integer, got {args.n_near_goal}")
    if args.n_episodes is not None:
        if args.n_episodes < 1:
            parser.error(f"--n_episodes must be a positive integer, got {args.n_episodes}")
        if args.step == "collect":
            args.n_demos = args.n_episodes
        elif args.step == "evaluate":
            args.n_eval = args.n_episodes
        else:
            parser.error("--n_episodes is for the collect and evaluate steps: use --n_demos / --n_eval")
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    run(
        args.step, args.out, n_demos=args.n_demos, n_near_goal=args.n_near_goal, steps=args.steps,
        batch_size=args.batch_size, eval_freq=args.eval_freq, train_eval_episodes=args.train_eval_episodes,
        max_steps=args.max_steps, n_eval=args.n_eval, n_expert_eval=args.n_expert_eval,
    )  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
