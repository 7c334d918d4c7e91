"""The control loop of a recording: one tick reads the robot, takes an action from the policy or the
teleoperator, sends it, and adds the frame to the dataset (and to the display) at a fixed rate."""

from __future__ import annotations

from typing import Any

import numpy as np

from lerobot.robots import Robot
from lerobot.robots.dataset_features import build_dataset_frame
from lerobot.teleoperators import Teleoperator
from lerobot.utils.constants import ACTION, TASK
from lerobot.utils.robot_utils import LoopTimer
from lerobot.utils.visualization_utils import RerunDisplay


def policy_action(policy: Any, ds_features: dict[str, dict], observation: dict[str, Any], task: str | None):
    """One policy step: robot observation -> batch of 1 (state (1, D), images (1, C, H, W) in [0, 1]) ->
    env-space action dict keyed by the dataset's action names."""
    import torch

    frame = build_dataset_frame(ds_features, observation, "observation")
    device = torch.device(str(policy.config.device))
    batch: dict[str, Any] = {TASK: [task or ""]}
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
                TASK: single_task,
            }
            dataset.add_frame(frame)
        if display is not None:
            display.log(observation, sent)
        timer.end_tick()
    timer.warn_if_slow()
    return timer.stats()
