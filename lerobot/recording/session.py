"""A recording session (`lerobot-record`): the dataset (new, or resumed), the devices, the episodes.

Flow: optional warm-up (not recorded); per episode a recording period (`episode_time_s`) then a reset
period (`reset_time_s`, not recorded, skipped after the last episode); the keyboard events of
`lerobot/recording/events.py` end a period, re-record an episode or stop (the current episode is saved).
A run that fails before saving an episode leaves no dataset folder behind (one it created itself);
`push_to_hub` uploads at the end, after the dataset is finalized on disk.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from lerobot.recording.configs import RecordConfig
from lerobot.recording.events import log_say, new_events, start_keyboard_listener
from lerobot.recording.loop import record_loop
from lerobot.robots import Robot, make_robot_from_config
from lerobot.robots.dataset_features import hw_to_dataset_features
from lerobot.teleoperators import Teleoperator, make_teleoperator_from_config
from lerobot.utils.constants import ACTION

logger = logging.getLogger(__name__)


def record(cfg: RecordConfig, events: dict[str, bool] | None = None):
    """Run the recording session; `events` (see `new_events`) can also be set by another thread."""
    robot = make_robot_from_config(cfg.robot)
    teleop = make_teleoperator_from_config(cfg.teleop) if cfg.teleop is not None else None
    return record_session(robot, teleop, cfg, events)


def record_session(
    robot: Robot, teleop: Teleoperator | None, cfg: RecordConfig, events: dict[str, bool] | None
):
    """`record` with already built devices (`cfg.robot` / `cfg.teleop` are not used)."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds_cfg = cfg.dataset
    features = {
        **hw_to_dataset_features(robot.action_features, ACTION, ds_cfg.video),
        **hw_to_dataset_features(robot.observation_features, "observation", ds_cfg.video),
    }
    writer_args: dict[str, Any] = {
        "image_writer_processes": ds_cfg.num_image_writer_processes,
        # Camera features are the (H, W, C) entries (a remote robot such as `lekiwi_client` has no `cameras`).
        "image_writer_threads": ds_cfg.num_image_writer_threads_per_camera
        * sum(isinstance(ft, tuple) for ft in robot.observation_features.values()),
        "streaming_encoding": ds_cfg.streaming_encoding,
        "encoder_niceness": ds_cfg.encoder_niceness,
    }
    if ds_cfg.vcodec is not None:
        from lerobot.datasets.video_encoding import VideoEncodingConfig

        writer_args["video_config"] = VideoEncodingConfig(vcodec=ds_cfg.vcodec)
    created_here = False
    if cfg.resume:
        from lerobot.utils.dataset_root import resolve_dataset_root

        # the dataset folder or a folder holding <repo_id>/
        root = resolve_dataset_root(ds_cfg.repo_id, ds_cfg.root)
        if root is None:
            from lerobot.utils.constants import hf_lerobot_home

            root = hf_lerobot_home() / ds_cfg.repo_id
        dataset = LeRobotDataset.resume(ds_cfg.repo_id, root=root, **writer_args)
        user = {k: v for k, v in dataset.features.items() if k in features}
        if set(user) != set(features) or any(user[k]["shape"] != features[k]["shape"] for k in features):
            raise ValueError(
                f"--resume: the dataset at {root} has features {sorted(user)} that do not match the robot's "
                f"{sorted(features)}; record into a new --dataset.repo_id."
            )
    else:
        from lerobot.utils.constants import hf_lerobot_home

        root = Path(ds_cfg.root or hf_lerobot_home() / ds_cfg.repo_id)
        created_here = not root.exists()
        try:
            dataset = LeRobotDataset.create(
                ds_cfg.repo_id,
                ds_cfg.fps,
                features=features,
                root=ds_cfg.root,
                robot_type=robot.name,
                use_videos=ds_cfg.video,
                **writer_args,
            )
        except FileExistsError as e:
            raise FileExistsError(
                f"The dataset folder {root} already exists and is not empty: pass --resume=true to append "
                "episodes to it, or record into another --dataset.repo_id / --dataset.root."
            ) from e
    # A run that fails before saving an episode leaves no dataset folder behind (one it created itself).
    try:
        stats = record_episodes(robot, teleop, cfg, events, dataset)
    except BaseException:
        if created_here and dataset.num_episodes == 0:
            dataset.finalize()  # idempotent: the writer's pools are stopped before the folder goes
            shutil.rmtree(dataset.root, ignore_errors=True)
            if ds_cfg.root is None:  # $HF_LEROBOT_HOME/<user>/<name>: also the <user> folder it made
                with contextlib.suppress(OSError):
                    Path(dataset.root).parent.rmdir()
        raise
    log_say("Stop recording", cfg.play_sounds)
    if ds_cfg.push_to_hub and dataset.num_episodes == 0:
        logger.warning("No episode was recorded: nothing to push to the Hub (%s).", ds_cfg.repo_id)
    elif ds_cfg.push_to_hub:
        # The dataset card, the files and the codebase-version tag that readers resolve revisions by. The
        # recording is finalized on disk before the upload starts, so a failed upload loses nothing.
        try:
            dataset.push_to_hub(tags=ds_cfg.tags, private=ds_cfg.private)
        except Exception as e:  # HTTP, auth, network, unfinished save: whichever, say where the data is
            push_args = f"tags={ds_cfg.tags!r}, private={ds_cfg.private!r}"
            raise RuntimeError(
                f"Uploading the recording to the Hub dataset repo {ds_cfg.repo_id!r} failed: {type(e).__name__}: "
                f"{e}\nNothing is lost: the {dataset.num_episodes} episodes ({dataset.num_frames} frames) are "
                f"saved in {dataset.root}. Fix the cause (a 401 or 403: log in with `hf auth login` or set "
                "HF_TOKEN to a token with write access), then retry the upload with:\n"
                '    python -c "from lerobot.datasets.lerobot_dataset import LeRobotDataset; '
                f'LeRobotDataset({ds_cfg.repo_id!r}, root={str(dataset.root)!r}).push_to_hub({push_args})"'
            ) from e
    return dataset, stats


def record_episodes(
    robot: Robot, teleop: Teleoperator | None, cfg: RecordConfig, events: dict[str, bool] | None, dataset
) -> list[dict[str, float]]:
    """The recording loop of `record_session` on an open dataset (finalized on every exit path); returns
    the loop stats of each episode."""
    ds_cfg = cfg.dataset
    policy = None
    if cfg.policy is not None:
        from lerobot.policies.factory import make_policy

        policy = make_policy(cfg.policy, ds_meta=dataset.meta)
        policy.eval()
    events = events if events is not None else new_events()
    teleop_keys = teleop.keys_in_use if teleop is not None else frozenset()
    keyboard, stop_keyboard = start_keyboard_listener(events, cfg.keyboard, teleop_keys)
    stats: list[dict[str, float]] = []
    try:
        with ExitStack() as stack:
            display = cfg.make_display()
            if display is not None:
                stack.enter_context(display)
            stack.enter_context(robot)
            if teleop is not None:
                stack.enter_context(teleop)
            if cfg.warmup_time_s > 0:
                log_say("Warm up", cfg.play_sounds)
                record_loop(robot, teleop, events, ds_cfg.fps, cfg.warmup_time_s, display=display)
            recorded = 0
            while recorded < ds_cfg.num_episodes and not events["stop_recording"]:
                log_say(f"Recording episode {dataset.num_episodes}", cfg.play_sounds)
                if policy is not None:
                    policy.reset()
                loop_args = (ds_cfg.episode_time_s, dataset, ds_cfg.single_task, display, policy)
                stats.append(record_loop(robot, teleop, events, ds_cfg.fps, *loop_args))
                last = recorded == ds_cfg.num_episodes - 1
                if (
                    not events["stop_recording"]
                    and (not last or events["rerecord_episode"])
                    and ds_cfg.reset_time_s
                ):
                    log_say("Reset the environment", cfg.play_sounds)
                    record_loop(robot, teleop, events, ds_cfg.fps, ds_cfg.reset_time_s, display=display)
                if events["rerecord_episode"]:
                    log_say("Re-record episode", cfg.play_sounds)
                    events["rerecord_episode"] = events["exit_early"] = False
                    dataset.clear_episode_buffer()
                    continue
                if dataset.episode_buffer and dataset.episode_buffer["size"] > 0:
                    dataset.save_episode()
                    recorded += 1
    finally:
        stop_keyboard.set()
        if keyboard is not None:
            keyboard.disconnect()
        dataset.finalize()
    return stats
