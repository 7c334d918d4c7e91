"""Video ENCODING with PyAV: frames -> mp4, and stream-copy concatenation / cutting of mp4 files.

Decoding lives in `lerobot.datasets.video_utils` (another module); this one only writes.

Defaults follow the reference (docs/dataset_format.md): AV1 through `libsvtav1`, `yuv420p`, a keyframe every 2 frames
(`g=2`), `crf=30`, frame `i` at pts `i / fps`. `h264` and `hevc` are selectable (`vcodec="h264"`), as is
the encoder `preset` (SVT-AV1: 0 slowest .. 13 fastest; x264/x265: "ultrafast" .. "veryslow").

Stream copy: v3.0 packs the episodes of one camera into shared mp4 files. `concatenate_videos` remuxes the
packets of several mp4s (all encoded with the same settings) into one file without re-encoding, shifting
each input's timestamps by the total duration of the inputs before it, so an episode whose first frame
sits at `from_timestamp` inside the shared file decodes at `from_timestamp + frame_index / fps`.
`cut_video` does the reverse (v3.0 -> v2.1): it copies the packets of `[from_timestamp, to_timestamp)`
into a new file whose timestamps start at 0. Every episode starts on a keyframe (each episode is encoded
on its own), so cuts at episode boundaries are clean.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# Codec names accepted by `VideoEncodingConfig.vcodec` -> default preset (None = encoder default).
SUPPORTED_VCODECS = {"libsvtav1": None, "h264": None, "hevc": None}
_CODEC_SHORT_NAMES = {"libsvtav1": "av1", "h264": "h264", "hevc": "hevc"}

# Silence SVT-AV1's banner (it prints through its own logger, not FFmpeg's).
os.environ.setdefault("SVT_LOG", "1")


@dataclass
class VideoEncodingConfig:
    """How camera frames are encoded. The defaults are the reference's (docs/dataset_format.md)."""

    vcodec: str = "libsvtav1"
    pix_fmt: str = "yuv420p"
    g: int | None = 2
    crf: int | None = 30
    preset: int | str | None = None
    fast_decode: int = 0
    extra_options: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.vcodec not in SUPPORTED_VCODECS:
            raise ValueError(
                f"Unsupported video codec {self.vcodec!r}: choose one of {sorted(SUPPORTED_VCODECS)} "
                "('libsvtav1' is AV1, the reference's default; 'h264' is the fastest to encode)."
            )
        if self.pix_fmt not in ("yuv420p", "yuv444p"):
            raise ValueError(f"Unsupported pix_fmt {self.pix_fmt!r}: use 'yuv420p' (default) or 'yuv444p'.")
        if self.g is not None and self.g < 1:
            raise ValueError(f"g (GOP size) must be >= 1, got {self.g}.")

    @property
    def codec_name(self) -> str:
        """Name as written in info.json `video.codec` ("av1", "h264", "hevc")."""
        return _CODEC_SHORT_NAMES[self.vcodec]

    def codec_options(self) -> dict[str, str]:
        options: dict[str, str] = {}
        if self.g is not None:
            options["g"] = str(self.g)
        if self.crf is not None:
            options["crf"] = str(self.crf)
        if self.preset is not None:
            options["preset"] = str(self.preset)
        if self.vcodec == "libsvtav1" and self.fast_decode:
            options["svtav1-params"] = f"fast-decode={self.fast_decode}"
        options.update(self.extra_options)
        return options


def lower_thread_priority(niceness: int = 10) -> None:
    """Renice the calling thread (Linux: threads have their own nice value, inherited by the threads they
    start, e.g. the SVT-AV1 worker pool), so a background encoder never starves a 30 fps recording loop."""
    if not hasattr(os, "setpriority"):
        return
    # Not permitted in some containers: encoding still works then, only at normal priority.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


def _sorted_frame_files(imgs_dir: Path) -> list[Path]:
    files = sorted(imgs_dir.glob("frame-*.png"))
    if not files:
        raise FileNotFoundError(f"No frame-*.png files to encode in {imgs_dir}.")
    return files


def encode_video_frames(
    imgs_dir: Path | str,
    video_path: Path | str,
    fps: int,
    config: VideoEncodingConfig | None = None,
) -> Path:
    """Encode `imgs_dir/frame-000000.png, frame-000001.png, ...` into `video_path` (frame i at i / fps)."""
    from PIL import Image

    config = config or VideoEncodingConfig()
    imgs_dir, video_path = Path(imgs_dir), Path(video_path)
    files = _sorted_frame_files(imgs_dir)
    frames = (np.asarray(Image.open(f).convert("RGB")) for f in files)
    return encode_video_arrays(frames, video_path, fps, config)


def encode_video_arrays(
    frames, video_path: Path | str, fps: int, config: VideoEncodingConfig | None = None
) -> Path:
    """Encode an iterable of uint8 HWC RGB arrays into `video_path`."""
    config = config or VideoEncodingConfig()
    video_path = Path(video_path)
    video_path.parent.mkdir(parents=True, exist_ok=True)
    container = av.open(str(video_path), mode="w")
    try:
        stream = None
        for i, frame in enumerate(frames):
            if stream is None:
                height, width = frame.shape[:2]
                if config.vcodec == "libsvtav1" and width < 32:
                    raise ValueError(
                        f"libsvtav1 cannot encode frames narrower than 32 pixels (got width {width} for "
                        f"{video_path}); use vcodec='h264' for such small cameras."
                    )
                stream = container.add_stream(config.vcodec, rate=fps, options=config.codec_options())
                stream.width, stream.height, stream.pix_fmt = width, height, config.pix_fmt
                stream.time_base = Fraction(1, fps)
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            video_frame.pts = i
            video_frame.time_base = Fraction(1, fps)
            for packet in stream.encode(video_frame):
                container.mux(packet)
        if stream is None:
            raise ValueError(f"No frames given to encode into {video_path}.")
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()
    return video_path


def concatenate_videos(inputs: list[Path | str], output: Path | str) -> list[tuple[float, float]]:
    """Stream-copy `inputs` one after the other into `output` (no re-encoding).

    Each input's timestamps are shifted by the summed durations of the inputs before it. Returns the
    `(from_timestamp, to_timestamp)` in seconds of every input inside the output. All inputs must share
    codec, size and pixel format (the writer encodes every episode with the same settings).
    """
    if not inputs:
        raise ValueError("concatenate_videos needs at least one input file.")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    spans: list[tuple[float, float]] = []
    out = av.open(str(output), mode="w", format="mp4")
    try:
        out_stream = None
        offset = 0  # in the output stream's time base, set once the first input is opened
        last_dts = None
        for path in inputs:
            with av.open(str(path)) as src:
                in_stream = src.streams.video[0]
                signature = _stream_signature(in_stream)
                if out_stream is None:
                    out_stream = out.add_stream_from_template(in_stream, opaque=True)
                    out_stream.time_base = in_stream.time_base
                    time_base = in_stream.time_base
                    first_signature = signature
                elif signature != first_signature:
                    raise ValueError(
                        f"Cannot stream-copy {path} after {inputs[0]}: they were encoded with different settings "
                        f"(codec, size, pixel format or codec headers differ: {signature[:4]} vs {first_signature[:4]})."
                    )
                start = offset
                # Decode timestamps must keep increasing: an input whose dts starts before its pts (B-frames)
                # after one without would collide, so such an input starts a little later (its span says so).
                first_dts = _first_dts(path)
                if last_dts is not None and first_dts is not None:
                    start = max(start, last_dts + 1 - _rescale(first_dts, in_stream.time_base, time_base))
                end = start
                for packet in src.demux(in_stream):
                    if packet.dts is None and packet.pts is None:
                        continue  # demuxer flush packet
                    pts = _rescale(packet.pts, in_stream.time_base, time_base)
                    dts = _rescale(packet.dts, in_stream.time_base, time_base)
                    duration = _rescale(packet.duration, in_stream.time_base, time_base) or 0
                    packet.pts = None if pts is None else pts + start
                    packet.dts = None if dts is None else dts + start
                    packet.duration = duration
                    packet.time_base = time_base
                    packet.stream = out_stream
                    end = max(end, (packet.pts if packet.pts is not None else packet.dts) + duration)
                    if packet.dts is not None:
                        last_dts = packet.dts
                    out.mux(packet)
            spans.append((float(start * time_base), float(end * time_base)))
            offset = end
    finally:
        out.close()
    return spans


def _stream_signature(stream) -> tuple:
    ctx = stream.codec_context
    return (ctx.name, stream.width, stream.height, ctx.pix_fmt, bytes(ctx.extradata or b""))


def can_concatenate(a: Path | str, b: Path | str) -> bool:
    """True when `b` can be stream-copied after `a` (same codec, size, pixel format and codec headers).
    Encodes made with different settings (e.g. another x264 preset) cannot share one mp4."""
    with av.open(str(a)) as ca, av.open(str(b)) as cb:
        return _stream_signature(ca.streams.video[0]) == _stream_signature(cb.streams.video[0])


def _first_dts(path: Path | str):
    with av.open(str(path)) as src:
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                return packet.dts
    return None


def _rescale(value, src_tb, dst_tb):
    if value is None:
        return None
    if src_tb == dst_tb:
        return value
    return round(value * src_tb / dst_tb)


def cut_video(src: Path | str, output: Path | str, from_timestamp: float, to_timestamp: float) -> int:
    """Stream-copy the packets with `from_timestamp <= pts < to_timestamp` (seconds) of `src` into `output`,
    rebased so the first copied frame is at time 0. Returns the number of packets copied."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    copied = 0
    with av.open(str(src)) as source:
        in_stream = source.streams.video[0]
        tb = in_stream.time_base
        # half a frame of slack against float rounding of the stored timestamps
        rate = in_stream.average_rate or in_stream.guessed_rate or 30
        half_frame = 0.5 / float(rate)
        start_pts = None
        out = av.open(str(output), mode="w", format="mp4")
        try:
            out_stream = out.add_stream_from_template(in_stream, opaque=True)
            out_stream.time_base = tb
            for packet in source.demux(in_stream):
                if packet.pts is None:
                    continue
                t = float(packet.pts * tb)
                if t < from_timestamp - half_frame or t >= to_timestamp - half_frame:
                    continue
                if start_pts is None:
                    if not packet.is_keyframe:
                        raise ValueError(
                            f"Cannot stream-copy {src} from {from_timestamp}s: the frame there is not a keyframe."
                        )
                    start_pts = packet.pts
                packet.pts -= start_pts
                packet.dts = packet.dts - start_pts if packet.dts is not None else None
                packet.stream = out_stream
                out.mux(packet)
                copied += 1
        finally:
            out.close()
    if copied == 0:
        raise ValueError(f"No frame of {src} lies in [{from_timestamp}, {to_timestamp}).")
    return copied


def probe_video_info(video_path: Path | str) -> dict:
    """The `info` dict of a video feature in info.json (key order as the reference writes it)."""
    with av.open(str(video_path)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        codec = {"libdav1d": "av1", "libaom-av1": "av1", "libsvtav1": "av1"}.get(codec, codec)
        rate = stream.average_rate or stream.guessed_rate
        pix_fmt = stream.codec_context.pix_fmt
        channels = len(av.VideoFormat(pix_fmt).components) if pix_fmt else 3
        return {
            "video.height": stream.height,
            "video.width": stream.width,
            "video.codec": codec,
            "video.pix_fmt": pix_fmt,
            "video.is_depth_map": False,
            "video.fps": int(round(float(rate))) if rate else None,
            "video.channels": channels,
            "has_audio": len(container.streams.audio) > 0,
        }


class StreamingVideoEncoder:
    """Encodes frames while they are recorded, on its own thread (newest main's "streaming encoding").

    `put(frame)` only queues the uint8 HWC array; `finish()` flushes the encoder and returns the mp4 path;
    `abort()` drops the file. Errors raised by the encoder thread are re-raised by `put`/`finish`."""

    def __init__(
        self, path: Path | str, fps: int, config: VideoEncodingConfig | None = None, niceness: int = 0
    ):
        import queue

        self.path = Path(path)
        self.fps = fps
        self.config = config or VideoEncodingConfig()
        self.niceness = niceness
        self.error: BaseException | None = None
        self.num_frames = 0
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"encoder-{self.path.stem}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self.niceness > 0:
            lower_thread_priority(self.niceness)
        try:
            encode_video_arrays(self._frames(), self.path, self.fps, self.config)
        except Exception as e:  # handed to the recording thread: put() and finish() re-raise it
            self.error = e
            while self._queue.get() is not None:  # drain so put() never blocks on a dead encoder
                pass

    def _frames(self):
        while (frame := self._queue.get()) is not None:
            yield frame

    def put(self, frame: np.ndarray) -> None:
        if self.error is not None:
            raise RuntimeError(f"Video encoder for {self.path} failed: {self.error}") from self.error
        self._queue.put(frame)
        self.num_frames += 1

    def finish(self) -> Path:
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise RuntimeError(f"Video encoder for {self.path} failed: {self.error}") from self.error
        return self.path

    def abort(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self.path.unlink(missing_ok=True)
