"""Write rendered rollout frames to an mp4 with PyAV (H.264, yuv420p) for `lerobot-eval` videos."""

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_video(frames: Iterable[np.ndarray], video_path: str | Path, fps: int, crf: int = 23) -> Path:
    """Encode uint8 RGB frames (H, W, 3) into `video_path` at `fps` (frame i shown at i / fps).

    yuv420p needs even sizes: a frame with an odd height or width gets one black row/column of padding.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive to write {video_path}, got {fps}.")
    video_path = Path(video_path)
    video_path.parent.mkdir(parents=True, exist_ok=True)
    container = av.open(str(video_path), mode="w")
    try:
        stream = None
        for i, frame in enumerate(frames):
            frame = np.asarray(frame)
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(
                    f"Frame {i} for {video_path} must be uint8 (H, W, 3), got {frame.dtype} {frame.shape}."
                )
            pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
            if pad_h or pad_w:
                frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)))
            if stream is None:
                stream = container.add_stream("h264", rate=fps, options={"crf": str(crf)})
                stream.height, stream.width = frame.shape[:2]
                stream.pix_fmt = "yuv420p"
                stream.time_base = Fraction(1, fps)
            elif frame.shape[:2] != (stream.height, stream.width):
                raise ValueError(
                    f"Frame {i} for {video_path} has size {frame.shape[:2]}, the first had "
                    f"{(stream.height, stream.width)}."
                )
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            video_frame.pts = i
            video_frame.time_base = Fraction(1, fps)
            for packet in stream.encode(video_frame):
                container.mux(packet)
        if stream is None:
            raise ValueError(f"No frames to write into {video_path}.")
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()
    return video_path
