"""Rollout videos: the frames of the first sub-envs of a batch, rendered while their episode runs, and the
mp4 files written from them (`eval_episode_<i>.mp4`, encoded by `lerobot.utils.rollout_video.write_video`)."""

from pathlib import Path

import gymnasium as gym
import numpy as np

from lerobot.utils.rollout_video import write_video


class EpisodeFrames:
    """The (H, W, 3) frames of the first `n_render` sub-envs of `env`, one list per rendered sub-env."""

    def __init__(self, env: gym.vector.VectorEnv, n_render: int):
        self.env = env
        self.frames: list[list[np.ndarray]] = [[] for _ in range(min(n_render, env.num_envs))]

    def capture(self, done_mask: np.ndarray) -> None:
        """Append the current frame of every rendered sub-env whose episode is not done yet."""
        wanted = [i for i in range(len(self.frames)) if not done_mask[i]]
        if not wanted:
            return
        if isinstance(self.env, gym.vector.SyncVectorEnv):  # render only the recorded envs
            images = {i: self.env.envs[i].render() for i in wanted}
        else:
            images = dict(enumerate(self.env.call("render")))
        for i in wanted:
            self.frames[i].append(np.asarray(images[i]))


def write_episode_videos(
    frames: list[list[np.ndarray]], videos_dir: str | Path, first_episode: int, fps: int
) -> list[str]:
    """`frames[i]` -> `<videos_dir>/eval_episode_<first_episode + i>.mp4`; returns the paths written."""
    return [
        str(write_video(episode_frames, Path(videos_dir) / f"eval_episode_{first_episode + i}.mp4", fps))
        for i, episode_frames in enumerate(frames)
    ]
