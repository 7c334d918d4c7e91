"""Read an `.rrd` file back as rows, to check what reached the Rerun viewer.

    rows = read_rrd(path)        # [RrdRow(entity, timelines, kind, value)], in logging order per entity
    scalars(rows)["observation/shoulder_pan.pos"]  -> {frame: value}
    images(rows)["observation/front"]              -> {frame: (H, W, C) uint8}

Built on the SDK's own reader (`rerun.chunk.RrdReader`, chunks as Arrow record batches), not on printed
tables: scalars come back as the float64 that was logged, images as their raw buffer reshaped with the
logged width/height and channel count.

`rerun_grpc_server` runs the headless receiving end of a live stream (`rerun --serve-grpc --save`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCALARS = "Scalars:scalars"
IMAGE_BUFFER, IMAGE_FORMAT = "Image:buffer", "Image:format"
COLOR_MODEL_CHANNELS = {1: 1, 2: 3, 3: 4}  # rerun ColorModel: L, RGB, RGBA
UINT8 = 6  # rerun ChannelDatatype U8


@dataclass
class RrdRow:
    entity: str  # without the leading "/"
    timelines: dict[str, int | float]  # sequence timelines as int, duration timelines in seconds
    kind: str  # "scalar" or "image"
    value: float | np.ndarray


def _image(buffer: list[int] | bytes, fmt: dict) -> np.ndarray:
    if fmt["channel_datatype"] != UINT8:
        raise ValueError(f"only uint8 images are read back, got channel datatype {fmt['channel_datatype']}")
    channels = COLOR_MODEL_CHANNELS[fmt["color_model"]]
    return np.frombuffer(bytes(buffer), np.uint8).reshape(fmt["height"], fmt["width"], channels)


def read_rrd(path: str | Path) -> list[RrdRow]:
    """Every scalar and image row of the first recording in `path`."""
    import pyarrow as pa
    import rerun.chunk

    with warnings.catch_warnings():  # a file saved by `rerun --save` has no footer: the reader says so
        warnings.filterwarnings("ignore", message="RRD file has no footer")
        chunks = list(rerun.chunk.RrdReader(path).stream())
    rows: list[RrdRow] = []
    for chunk in chunks:
        batch = chunk.to_record_batch()
        entity = batch.schema.metadata[b"rerun:entity_path"].decode().lstrip("/")
        names = batch.schema.names
        indexes = {}
        for field in batch.schema:
            if (field.metadata or {}).get(b"rerun:kind") == b"index" and field.name != "log_time":
                column = batch.column(field.name)
                if pa.types.is_duration(field.type):
                    indexes[field.name] = [v / 1e9 for v in column.cast(pa.int64()).to_pylist()]
                else:
                    indexes[field.name] = column.to_pylist()
        for i in range(batch.num_rows):
            timelines = {name: values[i] for name, values in indexes.items()}
            if SCALARS in names:
                for value in batch.column(SCALARS)[i].as_py() or []:
                    rows.append(RrdRow(entity, timelines, "scalar", value))
            if IMAGE_BUFFER in names:
                buffers, formats = (
                    batch.column(IMAGE_BUFFER)[i].as_py(),
                    batch.column(IMAGE_FORMAT)[i].as_py(),
                )
                for buffer, fmt in zip(buffers or [], formats or [], strict=True):
                    rows.append(RrdRow(entity, timelines, "image", _image(buffer, fmt)))
    return rows


def _by_entity(rows: list[RrdRow], kind: str, timeline: str) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(dict)
    for row in rows:
        if row.kind == kind and timeline in row.timelines:
            key = row.timelines[timeline]
            if key in out[row.entity]:
                raise AssertionError(f"{row.entity}: two {kind}s at {timeline}={key}")
            out[row.entity][key] = row.value
    return dict(out)


def scalars(rows: list[RrdRow], timeline: str = "frame") -> dict[str, dict[int | float, float]]:
    """{entity: {time on `timeline`: value}} (rows not on `timeline` left out); two values at one time
    raise."""
    return _by_entity(rows, "scalar", timeline)


def images(rows: list[RrdRow], timeline: str = "frame") -> dict[str, dict[int | float, np.ndarray]]:
    """{entity: {time on `timeline`: (H, W, C) uint8}}; two images at one time raise."""
    return _by_entity(rows, "image", timeline)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


@contextmanager
def rerun_grpc_server(save: Path, workdir: Path, port: int | None = None) -> Iterator[int]:
    """A headless `rerun --serve-grpc --port <port> --save <save>` (what a laptop would run to receive a
    robot's live display), yielding its port once it listens; stopped with Ctrl-C (SIGINT) on exit, after
    which `save` holds everything it received. Its analytics are off through a config under `workdir`."""
    rerun = shutil.which("rerun", path=str(Path(sys.executable).parent)) or shutil.which("rerun")
    if rerun is None:
        raise FileNotFoundError("the `rerun` command (installed with rerun-sdk) is not on PATH")
    env = {**os.environ, "XDG_CONFIG_HOME": str(workdir / "config"), "XDG_DATA_HOME": str(workdir / "data")}
    subprocess.run([rerun, "analytics", "disable"], env=env, check=True, capture_output=True, timeout=30)
    port = free_port() if port is None else port
    log = workdir / "rerun_server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [rerun, "--serve-grpc", "--port", str(port), "--save", str(save)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"rerun --serve-grpc did not start: {log.read_text()}") from None
                time.sleep(0.05)
        yield port
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise
