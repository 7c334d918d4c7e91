"""Write rendered rollout frames to an mp4 (H.264, yuv420p) for `lerobot-eval` videos.

The encoding itself is the dataset writer's (`lerobot.datasets.video_encoding.encode_video_arrays`);
this module only checks the frames and pads odd sizes, which rendered env frames may have.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from lerobot.datasets.video_encoding import VideoEncodingConfig, encode_video_arrays


def write_video(frames: Iterable[np.ndarray], video_path: str | Path, fps: int, crf: int = 23) -> Path:
    """Encode uint8 RGB frames (H, W, 3) into `video_path` at `fps` (frame i shown at i / fps).

    yuv420p needs even sizes: a frame with an odd height or width gets one black row/column of padding.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive to write {video_path}, got {fps}.")
    video_path = Path(video_path)
    config = VideoEncodingConfig(vcodec="h264", pix_fmt="yuv420p", g=None, crf=crf)
    return encode_video_arrays(_checked_even_frames(frames, video_path), video_path, fps, config)


def _checked_even_frames(frames: Iterable[np.ndarray], video_path: Path) -> Iterator[np.ndarray]:
    """Yield each frame as uint8 (H, W, 3) padded to even H and W; all frames must share one size."""
    size = None
    for i, frame in enumerate(frames):
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(
                f"Frame {i} for {video_path} must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}."
            )
        pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)))
        if size is None:
            size = frame.shape[:2]
        elif frame.shape[:2] != size:
            raise ValueError(f"Frame {i} for {video_path} has size {frame.shape[:2]}, the first had {size}.")
        yield frame
