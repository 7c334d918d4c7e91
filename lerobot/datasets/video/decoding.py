"""Video decoding with PyAV: frames nearest to query timestamps, fast and safe in DataLoader workers.

Contract (docs/dataset_format.md):

    decode_video_frames(video_path, timestamps, tolerance_s) -> (T, C, H, W) float32 in [0, 1]

`T = len(timestamps)`; values are exactly `uint8 / 255` (or the raw uint8 with `return_uint8=True`).
For every query the frame whose presentation time is nearest is returned. A query farther than
`tolerance_s` from every frame raises `FrameTimestampError`. The tolerance check accepts
`|query - frame_time| <= tolerance_s` (the newest reference; v2.1 required strictly `<`, which only differs
for a query exactly `tolerance_s` away from a frame).

How a query is decoded (only what it needs):

1. Each process keeps a small LRU cache of open readers (container + decoder + the last few decoded
   frames), keyed by path. The cache is owned by the process id that created it: a forked DataLoader
   worker never touches its parent's FFmpeg state (it starts with an empty cache; the inherited readers
   are deliberately leaked, not closed, because closing a decoder copied by `fork()` is not safe).
2. If the decoder already sits just before the first query (sequential access, e.g. time windows on
   consecutive indices), decoding simply continues; the frames kept from the previous call are reused.
   Otherwise it seeks to the keyframe at or before the first query (keyframe positions come from the
   container index, no decoding needed).
3. Frames are decoded forward, each once, until one is at or past the last query.
4. Only the selected frames are converted to RGB, with one persistent `VideoReformatter` per reader
   (creating a swscale context per frame, which `frame.to_ndarray(format="rgb24")` does, costs more than
   decoding a 96x96 frame). The conversion is the same as `frame.to_ndarray(format="rgb24")`, which
   reproduces the reference's bytes exactly (see the reference fixtures README).

Batches (`decode_frame_requests`, used by `LeRobotDataset.__getitems__`, i.e. by a DataLoader worker for a
whole batch): the frame requests of all samples are grouped by file, each file's distinct timestamps are
sorted and split into runs where decoding straight on is no dearer than seeking (no keyframe between two
consecutive queries, or queries at most two frames apart); each run is one seek (at most) and one forward
decode, each frame is decoded and converted to RGB once, and frames shared by overlapping windows (or by
two samples of the same frame) are decoded once for the batch.

Decoders and the RGB conversion run single-threaded: measured on 2 cores, random access of 3-frame windows
is fastest with `thread_count=1` for both 96x96 and 480x640 AV1 (frame threading adds latency after every
seek), swscale's automatic threading is slower than one thread on small frames and collapses on a busy
machine, and DataLoader workers already use the cores. The final uint8 -> float32 conversion uses numpy for
the same reason (torch's intra-op threads made it 10x slower than the decoding on a busy machine).
"""

from __future__ import annotations

import bisect
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch
from av.video.reformatter import VideoReformatter

SUPPORTED_BACKENDS = ("pyav",)

# Readers kept open per process (LRU); frames kept per reader after a call, for sequential access (at most
# MAX_KEPT_FRAMES, and about MAX_KEPT_BYTES of decoded + RGB frames, but at least 2).
MAX_OPEN_READERS = 32
MAX_KEPT_FRAMES = 8
MAX_KEPT_BYTES = 4_000_000


class FrameTimestampError(ValueError):
    """A query timestamp has no frame within `tolerance_s`."""


class VideoReadError(OSError):
    """An mp4 cannot be opened or decoded (corrupt, truncated, not a video)."""


def _describe(video_path: Path, video_key: str | None) -> str:
    return f"video file {video_path}" + (f" (video key {video_key!r})" if video_key else "")


def check_video_backend(backend: str | None) -> str:
    """Return the backend name to use; `None` means PyAV. Raise a clear error for unsupported ones."""
    if backend is None or backend == "pyav":
        return "pyav"
    if backend == "torchcodec":
        raise ValueError(
            "video_backend='torchcodec' is not supported by this implementation: frames are decoded with "
            "PyAV, which gives byte-identical frames to the reference's torchcodec decoding (nearest frame by "
            "presentation time) and is a core dependency. Use video_backend=None or 'pyav'."
        )
    raise ValueError(
        f"Unknown video backend {backend!r}. Supported backends: {list(SUPPORTED_BACKENDS)} (or None for the "
        "default, 'pyav')."
    )


class _Reader:
    """One open mp4 with its decoder state. Not shared across processes (see the module docstring)."""

    def __init__(self, video_path: Path):
        self.path = video_path
        if not video_path.is_file():
            raise FileNotFoundError(
                f"Video file not found: {video_path}. The dataset's meta points to it; if the dataset came from "
                "the Hub, it may have been downloaded with download_videos=False or only partially."
            )
        try:
            self.container = av.open(str(video_path), mode="r")
        except av.error.FFmpegError as e:
            raise VideoReadError(
                f"Cannot open video file {video_path}: {e}. The file is corrupt or not an mp4."
            ) from e
        if not self.container.streams.video:
            self.container.close()
            raise VideoReadError(f"Video file {video_path} has no video stream.")
        self.stream = self.container.streams.video[0]
        self.stream.codec_context.thread_count = 1
        self.time_base = self.stream.time_base
        tb = float(self.time_base)
        self.tb = tb
        # Keyframe presentation times, from the container index (no decoding needed). Empty if the
        # container has no index; then every non-sequential call seeks.
        self.keyframe_times: list[float] = sorted(
            e.timestamp * tb for e in self.stream.index_entries if e.is_keyframe and e.timestamp is not None
        )
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.frame_s = 1.0 / float(rate) if rate else 0.0  # nominal frame duration (0 if unknown)
        self.reformatter = VideoReformatter()
        frame_bytes = 4.5 * self.stream.codec_context.width * self.stream.codec_context.height  # yuv420 + rgb
        self.max_kept = max(2, min(MAX_KEPT_FRAMES, int(MAX_KEPT_BYTES // max(frame_bytes, 1))))
        self.frames: list[list] = []  # [time_s, av.VideoFrame, rgb ndarray | None], ascending time
        self.eof = True  # no decoding position yet: the first call seeks
        self.lock = threading.Lock()

    def close(self) -> None:
        self.frames = []
        self.container.close()

    def _keyframe_before(self, t: float) -> float | None:
        i = bisect.bisect_right(self.keyframe_times, t + 0.5 * self.tb) - 1
        return self.keyframe_times[i] if i >= 0 else None

    def _can_continue(self, t_first: float) -> bool:
        if self.eof or not self.frames:
            return False
        if self.frames[0][0] > t_first:  # a frame before the first query may be needed: not kept
            return False
        current = self.frames[-1][0]
        if t_first <= current:
            return True
        keyframe = self._keyframe_before(t_first)
        # Continuing decodes every frame from `current` on; a seek skips to `keyframe`.
        return keyframe is not None and keyframe <= current

    def _seek(self, t: float) -> None:
        target = round(t / self.tb)
        self.container.seek(max(target, 0), stream=self.stream, backward=True, any_frame=False)
        self.frames = []
        self.eof = False

    def _decode_until(self, t_stop: float) -> None:
        """Decode forward, whole packets at a time, until a frame at or past `t_stop` or end of stream."""
        for packet in self.container.demux(self.stream):
            for frame in packet.decode():
                if frame.pts is None:
                    raise VideoReadError(
                        f"Video file {self.path} has a frame without a presentation timestamp."
                    )
                self.frames.append([frame.pts * self.tb, frame, None])
            if packet.size == 0 and packet.dts is None:  # the flush packet: end of stream
                self.eof = True
                return
            if self.frames and self.frames[-1][0] >= t_stop:
                return
        self.eof = True

    def rgb(self, entry: list) -> np.ndarray:
        if entry[2] is None:
            # threads=1: swscale's automatic threading costs 3x (96x96) to 50x (busy machine) more than it
            # saves for one frame; DataLoader workers already use the cores. Same bytes either way.
            entry[2] = self.reformatter.reformat(entry[1], format="rgb24", threads=1).to_ndarray()
        return entry[2]

    def decode(self, timestamps: list[float], tolerance_s: float, video_key: str | None) -> list[np.ndarray]:
        t_first, t_last = min(timestamps), max(timestamps)
        try:
            if not self._can_continue(t_first):
                self._seek(t_first)
            if not self.frames or self.frames[-1][0] < t_last:
                self._decode_until(t_last)
        except av.error.FFmpegError as e:
            self.eof = True
            self.frames = []
            raise VideoReadError(
                f"Cannot decode {_describe(self.path, video_key)}: {e}. The file may be corrupt."
            ) from e

        if not self.frames:
            raise VideoReadError(
                f"No frame could be decoded from {_describe(self.path, video_key)} at or after "
                f"{t_first:.6f}s: the file is empty, truncated, or shorter than the queries {timestamps}."
            )
        # Nearest frame per query, ties -> the earlier frame (numpy's argmin, in plain Python: a handful of frames
        # per call, where numpy's per-call overhead costs more than the search).
        times = [entry[0] for entry in self.frames]
        nearest = []
        for q in timestamps:
            best, best_d = 0, abs(q - times[0])
            for k in range(1, len(times)):
                d = abs(q - times[k])
                if d < best_d:
                    best, best_d = k, d
            nearest.append(best)
        bad = [
            j
            for j, (q, i) in enumerate(zip(timestamps, nearest, strict=True))
            if abs(q - times[i]) > tolerance_s
        ]
        if bad:
            raise FrameTimestampError(
                f"Query timestamps unexpectedly violate the tolerance ({tolerance_s}s) in "
                f"{_describe(self.path, video_key)}: queries {[timestamps[j] for j in bad]} s, closest frame "
                f"timestamps {[times[nearest[j]] for j in bad]} s (decoded frames span "
                f"{times[0]:.6f}..{times[-1]:.6f} s). The timestamps in the parquet data (plus the episode's "
                "from_timestamp for v3.0 datasets) must match the frame times of the video; the video may be "
                "shorter than the data or was re-encoded with a different fps."
            )
        out = [self.rgb(self.frames[i]) for i in nearest]
        del self.frames[: max(0, len(self.frames) - self.max_kept)]
        return out

    def decode_sorted(
        self, queries: list[float], tolerance_s: float, video_key: str | None
    ) -> list[np.ndarray]:
        """Frames nearest to ascending, distinct `queries`: runs of queries with no keyframe in between (or at
        most two frames apart) are decoded straight on, a new run seeks; every frame is decoded once."""
        out: list[np.ndarray] = []
        run = [queries[0]]
        for a, b in zip(queries, queries[1:], strict=False):
            keyframe = self._keyframe_before(b)
            if keyframe is not None and keyframe > a + 0.5 * self.tb and b - a > 2.5 * self.frame_s:
                out += self.decode(run, tolerance_s, video_key)
                run = []
            run.append(b)
        out += self.decode(run, tolerance_s, video_key)
        return out


class _ReaderCache:
    """Per-process LRU of open readers; a forked child starts empty (see the module docstring)."""

    def __init__(self, max_size: int):
        self.max_size = max_size
        self.pid = os.getpid()
        self.readers: OrderedDict[str, _Reader] = OrderedDict()
        # (inode, size, mtime) of each file when its reader was opened, to notice replaced files.
        self.identities: dict[str, tuple[int, int, int] | None] = {}
        self.lock = threading.Lock()
        self._inherited: list[_Reader] = []

    def _check_pid(self) -> None:
        if self.pid != os.getpid():
            # Never close decoders copied from the parent: keep them referenced (copy-on-write memory).
            self._inherited.extend(self.readers.values())
            self.readers = OrderedDict()
            self.identities = {}
            self.lock = threading.Lock()
            self.pid = os.getpid()

    def get(self, video_path: Path) -> _Reader:
        self._check_pid()
        key = str(video_path)
        identity = _file_identity(video_path)
        with self.lock:
            reader = self.readers.get(key)
            if reader is not None:
                if self.identities.get(key) == identity:
                    self.readers.move_to_end(key)
                    return reader
                # The file at this path was replaced (e.g. a writer appended an episode to a shared mp4):
                # the open container still reads the old file.
                del self.readers[key]
                if not reader.lock.locked():
                    reader.close()
        reader = _Reader(video_path)
        with self.lock:
            self.readers[key] = reader
            self.identities[key] = identity
            while len(self.readers) > self.max_size:
                old_key, old = self.readers.popitem(last=False)
                self.identities.pop(old_key, None)
                if not old.lock.locked():
                    old.close()
        return reader

    def clear(self) -> None:
        self._check_pid()
        with self.lock:
            for reader in self.readers.values():
                reader.close()
            self.readers.clear()
            self.identities.clear()


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:  # missing: opening the reader raises the error that names the file
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


_READERS = _ReaderCache(MAX_OPEN_READERS)


def clear_video_reader_cache() -> None:
    """Close every video file this process keeps open (e.g. before deleting or rewriting videos)."""
    _READERS.clear()


def decode_video_frames(
    video_path: Path | str,
    timestamps: list[float],
    tolerance_s: float,
    backend: str | None = None,
    *,
    video_key: str | None = None,
    return_uint8: bool = False,
) -> torch.Tensor:
    """Decode the frames nearest to `timestamps` (seconds, in the file's time) from `video_path`.

    Returns `(T, C, H, W)`: float32 in [0, 1] equal to `uint8 / 255`, or uint8 with `return_uint8=True`.
    Raises `FrameTimestampError` (a ValueError) if a query is more than `tolerance_s` from every frame,
    `FileNotFoundError` for a missing file and `VideoReadError` (an OSError) for a corrupt one; all name
    the file and, if given, `video_key`.
    """
    check_video_backend(backend)
    if len(timestamps) == 0:
        raise ValueError(f"decode_video_frames needs at least one timestamp (file {video_path}).")
    video_path = Path(video_path)
    timestamps = [float(t) for t in timestamps]
    reader = _READERS.get(video_path)
    with reader.lock:
        frames = reader.decode(timestamps, tolerance_s, video_key)
    return _frames_to_tensor(frames, return_uint8)


def decode_frame_requests(
    requests: list[tuple[Path | str, list[float], str | None]],
    tolerance_s: float,
    backend: str | None = None,
    *,
    return_uint8: bool = False,
) -> list[torch.Tensor]:
    """Decode many samples' frames at once: `requests` are `(video_path, timestamps, video_key)`.

    Returns one `(T, C, H, W)` tensor per request, equal to `decode_video_frames(path, timestamps, ...)`, but
    the requests are grouped by file and each distinct frame is decoded once (see the module docstring).
    Errors are those of `decode_video_frames`.
    """
    frames = decode_frame_requests_rgb(requests, tolerance_s, backend)
    return [_frames_to_tensor(f, return_uint8) for f in frames]


def decode_frame_requests_rgb(
    requests: list[tuple[Path | str, list[float], str | None]],
    tolerance_s: float,
    backend: str | None = None,
) -> list[list[np.ndarray]]:
    """`decode_frame_requests` without the tensor conversion: per request, its (H, W, C) uint8 RGB frames
    (shared, read-only: a frame requested twice is the same array), e.g. to write them with `write_frames`
    straight into a batch tensor."""
    check_video_backend(backend)
    wanted: dict[str, set[float]] = {}  # str keys: hashing/comparing Path objects costs more than decoding
    keys: dict[str, str | None] = {}  # the first request's key names the file in errors
    normalized = []
    for video_path, timestamps, video_key in requests:
        if len(timestamps) == 0:
            raise ValueError(
                f"decode_frame_requests needs at least one timestamp per request (file {video_path})."
            )
        path = str(video_path)
        ts = [float(t) for t in timestamps]
        if path not in wanted:
            wanted[path], keys[path] = set(), video_key
        wanted[path].update(ts)
        normalized.append((path, ts))
    decoded: dict[str, dict[float, np.ndarray]] = {}
    for path, times in wanted.items():
        queries = sorted(times)
        reader = _READERS.get(Path(path))
        with reader.lock:
            frames = reader.decode_sorted(queries, tolerance_s, keys[path])
        decoded[path] = dict(zip(queries, frames, strict=True))
    return [[decoded[path][t] for t in ts] for path, ts in normalized]


def write_frames(frames: list[np.ndarray], out: np.ndarray, channels_last: bool = False) -> None:
    """Write (H, W, C) uint8 RGB frames into `out` of shape (T, C, H, W) (or (T, H, W, C) with
    `channels_last`): uint8 as they are, float32 as `uint8 / 255` (the values of `decode_video_frames`)."""
    # (H, W, C) -> (C, H, W), each frame written once, transposed, straight into the output (channels last: a
    # plain copy, ~25x cheaper than the transposition at 480x640). Converted with numpy, not torch: torch's
    # intra-op thread pool makes these small element-wise ops 10-40x slower on a busy machine (measured), and
    # numpy's result is the same IEEE float32 `uint8 / 255`.
    for t, frame in enumerate(frames):
        src = frame if channels_last else frame.transpose(2, 0, 1)
        if out.dtype == np.uint8:
            out[t] = src
        else:
            np.divide(src, np.float32(255.0), out=out[t], dtype=np.float32)


def _frames_to_tensor(frames: list[np.ndarray], return_uint8: bool) -> torch.Tensor:
    """(H, W, C) uint8 RGB frames -> (T, C, H, W) tensor, uint8 or float32 `uint8 / 255`."""
    h, w, c = frames[0].shape
    out = np.empty((len(frames), c, h, w), dtype=np.uint8 if return_uint8 else np.float32)
    write_frames(frames, out)
    return torch.from_numpy(out)


@dataclass(frozen=True)
class VideoInfo:
    """What an mp4 says about its first video stream."""

    fps: int | float
    width: int
    height: int
    codec: str
    pix_fmt: str
    channels: int
    duration_s: float
    num_frames: int
    has_audio: bool

    def to_info_dict(self) -> dict:
        """The `features[<video_key>]["info"]` dict of a dataset's info.json (docs/dataset_format.md)."""
        return {
            "video.height": self.height,
            "video.width": self.width,
            "video.codec": self.codec,
            "video.pix_fmt": self.pix_fmt,
            "video.is_depth_map": False,
            "video.fps": self.fps,
            "video.channels": self.channels,
            "has_audio": self.has_audio,
        }


def probe_video(video_path: Path | str) -> VideoInfo:
    """Read fps, size, codec, pixel format, duration and frame count of an mp4 without decoding it."""
    video_path = Path(video_path)
    if not video_path.is_file():
        raise FileNotFoundError(f"Video file not found: {video_path}")
    try:
        with av.open(str(video_path), mode="r") as container:
            if not container.streams.video:
                raise VideoReadError(f"Video file {video_path} has no video stream.")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if rate is None:
                raise VideoReadError(f"Video file {video_path} does not state its frame rate.")
            rate = Fraction(rate)
            fps = int(rate) if rate.denominator == 1 else float(rate)
            if stream.duration is not None:
                duration_s = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration_s = container.duration / av.time_base
            else:
                duration_s = float("nan")
            num_frames = stream.frames or len(stream.index_entries)
            pix_fmt = stream.codec_context.pix_fmt or ""
            channels = len(av.VideoFormat(pix_fmt).components) if pix_fmt else 3
            return VideoInfo(
                fps=fps,
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                codec=stream.codec_context.codec.canonical_name,
                pix_fmt=pix_fmt,
                channels=channels,
                duration_s=duration_s,
                num_frames=num_frames,
                has_audio=bool(container.streams.audio),
            )
    except av.error.FFmpegError as e:
        raise VideoReadError(
            f"Cannot read video file {video_path}: {e}. The file is corrupt or not an mp4."
        ) from e


def get_video_info(video_path: Path | str) -> dict:
    """info.json `video.*` keys of an mp4 (see `VideoInfo.to_info_dict`); use `probe_video` for more."""
    return probe_video(video_path).to_info_dict()
