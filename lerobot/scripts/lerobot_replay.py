"""Replay the actions of a recorded episode on a robot: `lerobot-replay`.

    lerobot-replay --robot.type=so100_follower --robot.port=/dev/ttyACM0 --robot.id=f \
        --dataset.repo_id=me/pick_cube --dataset.episode=0

Actions are read from the episode's data file (no video decoding) and sent at the dataset's fps
(or `--dataset.fps`).

This script only parses the flags; the replay is the library's `lerobot.recording.replay`.
"""

from __future__ import annotations

import logging

from lerobot.configs.parser import parse
from lerobot.recording.configs import DatasetReplayConfig, ReplayConfig  # noqa: F401  (re-exported)
from lerobot.recording.replay import load_episode_actions, replay, replay_on  # noqa: F401  (re-exported)
from lerobot.utils.cli import command


@command("lerobot-replay")
def main(args: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    sent = replay(parse(ReplayConfig, args))
    print(f"Replayed {len(sent)} actions")


if __name__ == "__main__":
    main()
