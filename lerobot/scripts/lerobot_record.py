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
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lerobot.configs.parser import parse
from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import check_numbers
from lerobot.robots import Robot, RobotConfig, make_robot_from_config
from lerobot.robots.dataset_features import build_dataset_frame, hw_to_dataset_features
from lerobot.teleoperators import Teleoperator, TeleoperatorConfig, make_teleoperator_from_config
from lerobot.utils.cli import command
from lerobot.utils.constants import ACTION
from lerobot.utils.robot_utils import LoopTimer
from lerobot.utils.visualization_utils import DisplayFlags, RerunDisplay

logger = logging.getLogger(__name__)


@dataclass
class DatasetRecordConfig:
    # Dataset name `<user>/<name>`; stored in `root` (default $HF_LEROBOT_HOME/<repo_id>).
    repo_id: str
    # The task, in words, stored with every frame.
    single_task: str
    # Local dataset folder (default: $HF_LEROBOT_HOME/<repo_id>).
    root: Path | None = None
    # Frames per second recorded (the control loop rate).
    fps: int = 30
    # Seconds recorded per episode.
    episode_time_s: float = 60
    # Seconds to reset the scene between episodes (not recorded).
    reset_time_s: float = 60
    # Number of episodes to record.
    num_episodes: int = 50
    # Encode cameras to mp4 (True) or keep PNG images (False).
    video: bool = True
    # Upload to the Hugging Face Hub at the end (needs `huggingface-cli login`).
    push_to_hub: bool = True
    # Create the Hub repository as private.
    private: bool = False
    # Tags of the Hub dataset card.
    tags: list[str] | None = None
    # Processes writing camera frames to disk (0: threads only).
    num_image_writer_processes: int = 0
    # Threads writing camera frames to disk, per camera.
    num_image_writer_threads_per_camera: int = 4
    # Video codec (default: the dataset writer's, AV1 libsvtav1); e.g. h264 encodes faster.
    vcodec: str | None = None
    # Encode camera frames while recording (one encoder thread per camera) instead of at save time.
    streaming_encoding: bool = False
    # Nice level (> 0: lower priority) of the background saver/encoder threads, so that encoding does not
    # starve the control loop on a small machine.
    encoder_niceness: int = 0

    def __post_init__(self):
        check_numbers(
            self,
            positive=("fps", "episode_time_s", "num_episodes", "num_image_writer_threads_per_camera"),
            non_negative=("reset_time_s", "num_image_writer_processes"),
            flag_prefix="--dataset.",
        )


@dataclass
class RecordConfig(DisplayFlags):  # --display_* flags: the Rerun display, warm-up and resets included
    robot: RobotConfig
    dataset: DatasetRecordConfig
    # The teleoperator giving the actions (during the episodes unless a policy drives, and during resets).
    teleop: TeleoperatorConfig | None = None
    # A policy driving the robot instead (`--policy.path=<checkpoint dir or hub id>`); the dataset name
    # must start with `eval_`.
    policy: PreTrainedConfig | None = None
    # Seconds of teleoperation before the first episode, not recorded.
    warmup_time_s: float = 0
    # Speak the prompts (needs `spd-say` or `say`).
    play_sounds: bool = True
    # Append episodes to the existing local dataset.
    resume: bool = False
    # Keyboard controls: "auto" (display or terminal), "none" (no listener).
    keyboard: str = "auto"

    def __post_init__(self):
        super().__post_init__()
        if self.teleop is None and self.policy is None:
            raise ValueError(
                "lerobot-record needs a teleoperator (--teleop.type=...) or a policy (--policy.path=...) to "
                "produce the actions."
            )
        if self.policy is not None and not self.dataset.repo_id.split("/")[-1].startswith("eval_"):
            raise ValueError(
                f"Datasets recorded by a policy are evaluations: name it 'eval_...' (got "
                f"--dataset.repo_id={self.dataset.repo_id})."
            )


def log_say(text: str, play_sounds: bool) -> None:
    logger.info(text)
    if play_sounds:
        cmd = shutil.which("spd-say") or (shutil.which("say") if sys.platform == "darwin" else None)
        if cmd:
            subprocess.Popen([cmd, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def new_events() -> dict[str, bool]:
    return {"exit_early": False, "rerecord_episode": False, "stop_recording": False}


# Recording controls -> keys (arrows and Esc on a desktop; the letters also work in a terminal over SSH).
RECORDING_KEYS: dict[str, tuple[str, ...]] = {
    "exit_early": ("right", "n"),
    "rerecord_episode": ("left", "r"),
    "stop_recording": ("esc", "q"),
}
KEY_LABELS = {"right": "→", "left": "←", "esc": "Esc"}


def recording_keys(teleop_keys: frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """The recording controls' keys without those the teleoperator reads (LeKiwi's base uses `r` and `q`):
    one key press must never both drive the robot and end or re-record an episode."""
    keys = {event: tuple(k for k in ks if k not in teleop_keys) for event, ks in RECORDING_KEYS.items()}
    lost = [event for event, ks in keys.items() if not ks]
    if lost:
        raise ValueError(
            f"The teleoperator reads every key of the recording control(s) {lost} "
            f"({[RECORDING_KEYS[e] for e in lost]}); remap its keys (e.g. --teleop.teleop_keys=...)."
        )
    return keys


def describe_recording_keys(keys: dict[str, tuple[str, ...]]) -> str:
    words = {"exit_early": "next", "rerecord_episode": "re-record", "stop_recording": "stop"}
    return ", ".join(
        f"{words[event]}: {' or '.join(KEY_LABELS.get(k, k) for k in ks)}" for event, ks in keys.items()
    )


def start_keyboard_listener(
    events: dict[str, bool], backend: str, teleop_keys: frozenset[str] = frozenset()
) -> tuple[Any, threading.Event]:
    """Map keys to recording events in a background thread; returns (keyboard teleop or None, stop event).
    Keys in `teleop_keys` (read by the teleoperator) are left out of the controls."""
    from lerobot.teleoperators.keyboard import KeyboardTeleop, KeyboardTeleopConfig

    stop = threading.Event()
    if backend == "none":
        return None, stop
    keys = recording_keys(teleop_keys)
    keyboard = KeyboardTeleop(KeyboardTeleopConfig(backend=backend))
    keyboard.connect()
    if keyboard.backend == "none":
        logger.warning(
            "No keyboard available (no display, stdin is not a terminal): recording controls are off."
        )
    else:
        taken = sorted(teleop_keys & {k for ks in RECORDING_KEYS.values() for k in ks})
        logger.info(
            "Recording keys: %s%s.",
            describe_recording_keys(keys),
            f" ({', '.join(taken)} drive the teleoperator)" if taken else "",
        )

    def poll() -> None:
        while not stop.wait(0.02):
            pressed = keyboard.get_action().keys()
            if pressed & set(keys["exit_early"]):
                events["exit_early"] = True
            if pressed & set(keys["rerecord_episode"]):
                events["rerecord_episode"] = events["exit_early"] = True
            if pressed & set(keys["stop_recording"]):
                events["stop_recording"] = events["exit_early"] = True

    threading.Thread(target=poll, daemon=True).start()
    return keyboard, stop


def policy_action(policy: Any, ds_features: dict[str, dict], observation: dict[str, Any], task: str | None):
    """One policy step: robot observation -> batch of 1 (state (1, D), images (1, C, H, W) in [0, 1]) ->
    env-space action dict keyed by the dataset's action names."""
    import torch

    frame = build_dataset_frame(ds_features, observation, "observation")
    device = torch.device(str(policy.config.device))
    batch: dict[str, Any] = {"task": [task or ""]}
    for key, value in frame.items():
        tensor = torch.as_tensor(np.asarray(value))
        if tensor.ndim == 3:  # (H, W, C) uint8 -> (C, H, W) float in [0, 1]
            tensor = tensor.permute(2, 0, 1).float() / 255.0
        batch[key] = tensor.float().unsqueeze(0).to(device)
    action = policy.select_action(batch)[0].cpu().numpy()
    return dict(zip(ds_features[ACTION]["names"], action.tolist(), strict=True))


def record_loop(
    robot: Robot,
    teleop: Teleoperator | None,
    events: dict[str, bool],
    fps: int,
    control_time_s: float,
    dataset: Any = None,
    single_task: str | None = None,
    display: RerunDisplay | None = None,
    policy: Any = None,
) -> dict[str, float]:
    """Run the robot for `control_time_s` (or until an event) from the policy if given, else the
    teleoperator (neither: the robot holds still); with a dataset, add one frame per tick; with a
    display, show each observation and sent action."""
    if dataset is not None and policy is None and teleop is None:
        raise ValueError("Recording needs actions: give a teleoperator or a policy.")
    timer = LoopTimer(fps)
    while timer.elapsed_s < control_time_s:
        timer.start_tick()
        if events["exit_early"]:
            events["exit_early"] = False
            break
        observation = robot.get_observation()
        if policy is not None:
            sent = robot.send_action(policy_action(policy, dataset.features, observation, single_task))
        elif teleop is not None:
            sent = robot.send_action(teleop.get_action())
        else:
            timer.end_tick()
            continue
        if dataset is not None:
            frame = {
                **build_dataset_frame(dataset.features, observation, "observation"),
                **build_dataset_frame(dataset.features, sent, ACTION),
                "task": single_task,
            }
            dataset.add_frame(frame)
        if display is not None:
            display.log(observation, sent)
        timer.end_tick()
    timer.warn_if_slow()
    return timer.stats()


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
