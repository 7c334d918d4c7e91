"""Replay the actions of a recorded episode on a robot (`lerobot-replay`): actions are read from the
episode's data file (no video decoding) and sent at the dataset's fps (or `DatasetReplayConfig.fps`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lerobot.recording.configs import DatasetReplayConfig, ReplayConfig
from lerobot.robots import Robot, make_robot_from_config
from lerobot.utils.constants import ACTION
from lerobot.utils.robot_utils import LoopTimer


def load_episode_actions(repo_id: str, episode: int, root: Path | None) -> tuple[list[str], np.ndarray, int]:
    """(action names, (T, D) float32 actions, fps) of one episode."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from lerobot.datasets.lerobot_dataset import LeRobotDatasetMetadata
    from lerobot.utils.dataset_root import resolve_dataset_root

    meta = LeRobotDatasetMetadata(repo_id, resolve_dataset_root(repo_id, root))
    if episode not in meta.episode_indices:
        raise ValueError(f"Episode {episode} is not in {meta.root}; episodes are {meta.episode_indices}.")
    table = pq.read_table(
        meta.root / meta.get_data_file_path(episode), columns=["episode_index", "frame_index", ACTION]
    )
    table = table.filter(pc.equal(table["episode_index"], episode)).sort_by("frame_index")
    actions = np.asarray(table[ACTION].to_pylist(), dtype=np.float32)
    return list(meta.features[ACTION]["names"]), actions, meta.fps


def replay(cfg: ReplayConfig) -> np.ndarray:
    return replay_on(make_robot_from_config(cfg.robot), cfg.dataset)


def replay_on(robot: Robot, ds_cfg: DatasetReplayConfig) -> np.ndarray:
    """Send the episode's actions to `robot` (connected and disconnected here); returns what was sent."""
    names, actions, fps = load_episode_actions(ds_cfg.repo_id, ds_cfg.episode, ds_cfg.root)
    if set(names) != set(robot.action_features):
        raise ValueError(
            f"The dataset's actions {names} do not match {robot.name}'s {list(robot.action_features)}."
        )
    timer = LoopTimer(ds_cfg.fps or fps)
    sent_all = []
    with robot:
        for row in actions:
            timer.start_tick()
            sent = robot.send_action(dict(zip(names, row.tolist(), strict=True)))
            sent_all.append([sent[n] for n in names])
            timer.end_tick()
    timer.warn_if_slow()
    return np.asarray(sent_all, dtype=np.float32)
