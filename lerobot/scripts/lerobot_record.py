"""Record demonstrations from a teleoperated robot into a LeRobotDataset: `lerobot-record`.

    lerobot-record --robot.type=so100_follower --robot.port=/dev/ttyACM0 --robot.id=f \
        --teleop.type=so100_leader --teleop.port=/dev/ttyACM1 --teleop.id=l \
        --dataset.repo_id=me/pick_cube --dataset.single_task="Pick the cube" --dataset.num_episodes=10

Flow: optional warm-up (not recorded); per episode a recording period (`episode_time_s`) then a reset
period (`reset_time_s`, not recorded, skipped after the last episode); keyboard: right arrow / `n` ends
the current period, left arrow / `r` re-records the episode, Esc / `q` stops (the current episode is
saved). Letters that the teleoperator itself reads (LeKiwi's base keys `r`, `q`) are left out of the controls;
the arrows and Esc always work. The loop measures its real rate and warns when it cannot hold `fps`. `--resume=true` appends to
an existing local dataset; `--dataset.push_to_hub=true` uploads at the end.

This script only parses the flags; the session, the loop and the keyboard events are the library's
`lerobot.recording`, whose names it re-exports.
"""

from __future__ import annotations

import logging

from lerobot.configs.parser import parse
from lerobot.recording import (  # noqa: F401  (re-exported: `from lerobot.scripts.lerobot_record import record`)
    KEY_LABELS,
    RECORDING_KEYS,
    DatasetRecordConfig,
    RecordConfig,
    describe_recording_keys,
    log_say,
    new_events,
    policy_action,
    record,
    record_episodes,
    record_loop,
    record_session,
    recording_keys,
    start_keyboard_listener,
)
from lerobot.utils.cli import command


@command("lerobot-record")
def main(args: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    dataset, stats = record(
        parse(RecordConfig, args)
    )  # a held dataset (DatasetLockedError): one line, exit 2
    print(f"Recorded {dataset.num_episodes} episodes ({dataset.num_frames} frames) in {dataset.root}")
    for i, s in enumerate(stats):
        print(f"episode loop {i}:", {k: round(v, 3) for k, v in s.items()})


if __name__ == "__main__":
    main()
