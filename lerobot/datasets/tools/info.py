"""Text reports: a dataset's summary (`lerobot-edit-dataset --operation.type=info`) and the environment
report of `lerobot-info` (versions, codecs, accelerators, installed sim envs and robot SDKs), made to be
pasted into a bug report."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import sys
from fractions import Fraction
from pathlib import Path

from lerobot.datasets.formats.common import INFO_PATH

# Encoders / decoders worth knowing about for LeRobot videos (the writer's codecs, hardware H.264/HEVC).
ENCODERS = (
    "libsvtav1",
    "libaom-av1",
    "libx264",
    "libx265",
    "h264_nvenc",
    "hevc_nvenc",
    "av1_nvenc",
    "h264_vaapi",
    "h264_qsv",
    "h264_videotoolbox",
    "h264_v4l2m2m",
)
DECODERS = ("libdav1d", "libaom-av1", "av1", "h264", "hevc", "h264_cuvid", "av1_cuvid", "h264_v4l2m2m")
SIM_ENVS = ("gym_pusht", "gym_aloha", "gym_xarm", "mujoco", "dm_control", "gymnasium")
ROBOT_SDKS = ("scservo_sdk", "dynamixel_sdk", "pyrealsense2", "cv2", "serial", "zmq", "rerun")


def dataset_summary(root: Path | str, show_features: bool = False) -> str:
    """Codebase version, fps, counts, tasks and (optionally) features of the dataset at `root`."""
    from lerobot.datasets.metadata import LeRobotDatasetMetadata

    root = Path(root)
    if not (root / INFO_PATH).is_file():
        raise FileNotFoundError(
            f"{root / INFO_PATH} not found: give the dataset folder (the one holding meta/)."
        )
    meta = LeRobotDatasetMetadata(f"local/{root.name}", root=root)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    lines = [
        f"dataset: {root}",
        f"codebase_version: {meta.info['codebase_version']}",
        f"robot_type: {meta.robot_type}",
        f"fps: {meta.fps}",
        f"episodes: {meta.total_episodes}",
        f"frames: {meta.total_frames}",
        f"tasks: {meta.total_tasks} {list(meta.task_list)[:5]}{' ...' if meta.total_tasks > 5 else ''}",
        f"cameras: {meta.camera_keys}",
        f"size on disk: {size / 1e6:.2f} MB",
    ]
    if show_features:
        lines.append("features:")
        for key, ft in meta.features.items():
            codec = f" codec={ft['info'].get('video.codec')}" if ft.get("info") else ""
            lines.append(f"  {key}: dtype={ft['dtype']} shape={ft['shape']}{codec}")
    return "\n".join(lines)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@contextlib.contextmanager
def _quiet_stderr():
    """Silence what native encoders print on stderr when opened (SVT-AV1 / x265 banners)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _can_open(av, name: str, mode: str) -> bool:
    """The codec exists in this FFmpeg build and opens here (a hardware encoder needs its device)."""
    try:
        ctx = av.CodecContext.create(name, mode)
        if mode == "w":
            ctx.width, ctx.height = 64, 64
            formats = ctx.codec.video_formats or ()
            ctx.pix_fmt = formats[0].name if formats else "yuv420p"
            ctx.time_base = Fraction(1, 30)
        ctx.open()
        return True
    except Exception:  # noqa: BLE001 - PyAV/FFmpeg raise several kinds for an unknown or unusable codec
        return False


def _codecs() -> tuple[str, list[str], list[str]]:
    """(FFmpeg version as PyAV reports it, usable encoders, usable decoders)."""
    try:
        import av
    except ImportError:
        return "PyAV not installed", [], []
    ffmpeg = ".".join(str(v) for v in av.library_versions.get("libavcodec", ())) or "?"
    ffmpeg = f"libavcodec {ffmpeg}"
    if hasattr(av, "ffmpeg_version_info"):
        ffmpeg = f"FFmpeg {av.ffmpeg_version_info} ({ffmpeg})"
    encoders, decoders = [], []
    for names, mode, out in ((ENCODERS, "w", encoders), (DECODERS, "r", decoders)):
        with _quiet_stderr():
            out += [name for name in names if _can_open(av, name, mode)]
    return ffmpeg, encoders, decoders


def environment_report() -> str:
    """What `lerobot-info` prints (one `- key: value` line each)."""
    lines = [
        f"- lerobot version: {_version('lerobot')}",
        f"- Platform: {platform.platform()} ({platform.machine()})",
        f"- Python version: {platform.python_version()} ({platform.python_implementation()})",
    ]
    try:
        import torch

        cuda = torch.cuda.is_available()
        mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
        lines.append(f"- PyTorch version: {torch.__version__}")
        gpu = f" ({torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda})" if cuda else ""
        lines.append(f"- CUDA available: {cuda}{gpu}")
        lines.append(f"- MPS available: {mps}")
    except ImportError:
        lines.append("- PyTorch version: not installed")
    ffmpeg, enc, dec = _codecs()
    lines.append(f"- PyAV version: {_version('av')} ({ffmpeg})")
    lines.append(f"- Video encoders: {', '.join(enc) or 'none'}")
    lines.append(f"- Video decoders: {', '.join(dec) or 'none'}")
    for name in ("numpy", "pyarrow", "datasets", "huggingface_hub", "draccus", "gymnasium"):
        lines.append(f"- {name} version: {_version(name) or 'not installed'}")
    sims = [
        f"{m} {_version(m.replace('_', '-')) or ''}".strip() for m in SIM_ENVS if importlib.util.find_spec(m)
    ]
    sdks = [m for m in ROBOT_SDKS if importlib.util.find_spec(m)]
    lines.append(f"- Sim envs installed: {', '.join(sims) or 'none'}")
    lines.append(f"- Robot / camera SDKs installed: {', '.join(sdks) or 'none'}")
    return "\n".join(lines)
