"""Live display of robot observations and actions in the Rerun viewer (`--display_data=true`).

`rerun_entities` is the pure mapping from one control step to what is shown; `RerunDisplay` sends it to a
viewer it spawns, to a viewer on another computer (`--display_ip`, over gRPC), or to an `.rrd` file
(`save_path`) to open later with `rerun <file>.rrd`. The dataset visualizer (`lerobot-dataset-viz`) logs
through the same two pieces.

    observation {"shoulder_pan.pos": 12.3, "front": (H, W, 3) uint8}  -> observation/shoulder_pan.pos  scalar
                                                                         observation/front             image
    action {"shoulder_pan.pos": 12.0}                                   -> action/shoulder_pan.pos       scalar
    a 1-D array value v of length D                                     -> <prefix>/<key>/0 .. /<D-1>    scalars

Dictionary keys become entity path parts as they are (a `/` in a key nests). Every control step is logged
on the `frame` timeline.

Watching a robot computer live from a laptop: start a viewer on the laptop (`rerun`, which listens on
port 9876, or `rerun --serve-grpc` without a window), then run the robot side with
`--display_data=true --display_ip=<laptop IP> [--display_port=9876]`.
"""

from __future__ import annotations

import logging
import numbers
import os
import socket
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np

logger = logging.getLogger(__name__)

EntityKind = Literal["scalar", "image"]
Entity = tuple[str, EntityKind, "float | np.ndarray"]
IMAGE_CHANNELS = (1, 3, 4)
TIMELINE = "frame"
DEFAULT_PORT = 9876  # the Rerun viewer's and `rerun --serve-grpc`'s gRPC port
CONNECT_TIMEOUT_S = 3.0
FLUSH_TIMEOUT_S = 10.0
NO_DISPLAY_HINT = (
    "save it with --display_data_path=session.rrd (open it later with `rerun session.rrd`), or stream it "
    "to a viewer on another computer with --display_ip=<its IP> (run `rerun` there)"
)


def _to_hwc_uint8(key: str, array: np.ndarray) -> np.ndarray:
    """(H, W, C) or (C, H, W) with C in 1/3/4, uint8 or float in [0, 1] -> (H, W, C) uint8."""
    if array.shape[-1] not in IMAGE_CHANNELS and array.shape[0] in IMAGE_CHANNELS:
        array = np.moveaxis(array, 0, -1)  # (C, H, W) -> (H, W, C)
    if array.shape[-1] not in IMAGE_CHANNELS:
        raise ValueError(
            f"Cannot display {key!r}: an image must be (H, W, C) or (C, H, W) with C in {IMAGE_CHANNELS} "
            f"channels (got shape {tuple(array.shape)})."
        )
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if np.issubdtype(array.dtype, np.floating):
        return np.ascontiguousarray((np.clip(array, 0.0, 1.0) * 255.0).round().astype(np.uint8))
    raise ValueError(
        f"Cannot display {key!r}: images must be uint8 or float in [0, 1] (got dtype {array.dtype})."
    )


def value_entities(path: str, value: Any) -> list[Entity]:
    """One value -> [(entity path, kind, value)]: a number (or 0-d array) -> one scalar (float), a 1-D
    array -> one scalar per element (`<path>/<i>`), a 3-D array -> one image ((H, W, C) uint8). Anything
    else raises a ValueError naming `path`. Torch tensors work too (anything with `__array__`)."""
    if isinstance(value, numbers.Real):  # bool, int, float and the numpy scalars
        return [(path, "scalar", float(value))]
    if not isinstance(value, (list, tuple)) and not hasattr(value, "__array__"):
        raise ValueError(
            f"Cannot display {path!r}: expected a number, a 1-D array or an image, got {type(value).__name__}."
        )
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"Cannot display {path!r}: non-numeric array of dtype {array.dtype}.")
    if array.ndim == 0:
        return [(path, "scalar", float(array))]
    if array.ndim == 1:
        return [(f"{path}/{i}", "scalar", float(x)) for i, x in enumerate(array)]
    if array.ndim == 3:
        return [(path, "image", _to_hwc_uint8(path, array))]
    raise ValueError(
        f"Cannot display {path!r}: expected a number, a 1-D array or an (H, W, C) / (C, H, W) image, got an "
        f"array of shape {tuple(array.shape)}."
    )


def prefixed_entities(prefix: str | None, values: dict[str, Any] | None) -> list[Entity]:
    """`value_entities` of every item, at `<prefix>/<key>` (at `<key>` when `prefix` is None)."""
    entities: list[Entity] = []
    for key, value in (values or {}).items():
        entities.extend(value_entities(key if prefix is None else f"{prefix}/{key}", value))
    return entities


def rerun_entities(observation: dict[str, Any] | None, action: dict[str, Any] | None) -> list[Entity]:
    """One control step -> [(entity path, kind, value)] under `observation/` and `action/` (see
    `value_entities` for what each value becomes)."""
    return prefixed_entities("observation", observation) + prefixed_entities("action", action)


def check_viewer_can_open(hint: str = NO_DISPLAY_HINT, flag: str = "--display_data=true") -> None:
    """Raise when a spawned viewer could not open a window: Linux with neither DISPLAY nor WAYLAND_DISPLAY
    (a robot computer over SSH). `flag` is what asked for the viewer, `hint` says what to do instead."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        raise ValueError(
            f"{flag} spawns the Rerun viewer, but this machine has no display (neither DISPLAY nor "
            f"WAYLAND_DISPLAY is set): {hint}."
        )


def check_display_flags(
    display_data: bool,
    display_data_path: str | Path | None,
    display_ip: str | None = None,
    display_port: int = DEFAULT_PORT,
) -> None:
    """Validate the `--display_*` flags together (one-line errors naming the flags); with a display but
    neither a file nor a remote viewer, also check that a viewer window can open here."""
    if isinstance(display_port, bool) or not isinstance(display_port, int) or not 1 <= display_port <= 65535:
        raise ValueError(f"--display_port={display_port} is not a TCP port: give a number in 1..65535.")
    if display_data_path is not None and not display_data:
        raise ValueError(
            f"--display_data_path={display_data_path} saves the live display: add --display_data=true."
        )
    if display_ip is not None and not display_data:
        raise ValueError(f"--display_ip={display_ip} streams the live display: add --display_data=true.")
    if display_ip is not None and not str(display_ip).strip():
        raise ValueError("--display_ip is empty: give the IP address or host name of the viewer's computer.")
    if display_ip is not None and display_data_path is not None:
        raise ValueError(
            f"--display_ip={display_ip} and --display_data_path={display_data_path} are exclusive: stream to "
            "the remote viewer (and save there with `rerun --save x.rrd`), or save here."
        )
    if display_data and display_data_path is None and display_ip is None:
        check_viewer_can_open()


def make_display(
    display_data: bool,
    display_data_path: str | Path | None,
    display_ip: str | None = None,
    display_port: int = DEFAULT_PORT,
) -> RerunDisplay | None:
    """The display the `--display_data` / `--display_data_path` / `--display_ip` / `--display_port` flags
    ask for (None: no display)."""
    check_display_flags(display_data, display_data_path, display_ip, display_port)
    if not display_data:
        return None
    return RerunDisplay(save_path=display_data_path, ip=display_ip, port=display_port)


@dataclass(kw_only=True)
class DisplayFlags:
    """The `--display_*` flags, shared by the configs of `lerobot-teleoperate`, `lerobot-record` and
    `control_robot.py` (a base class, so the flags stay flat: `--display_data`, not `--display.data`).
    Subclasses with their own `__post_init__` call this one."""

    # Show observations and actions live in the Rerun viewer (extra `rerun`).
    display_data: bool = False
    # With --display_data=true: save the display to this .rrd file instead of spawning a viewer (for a
    # robot computer without a screen); open it later with `rerun <file>.rrd`.
    display_data_path: Path | None = None
    # With --display_data=true: stream live to a Rerun viewer on this IP (e.g. a laptop running `rerun` or
    # `rerun --serve-grpc`) instead of spawning one here.
    display_ip: str | None = None
    # The viewer's gRPC port (the port of a spawned viewer without --display_ip).
    display_port: int = DEFAULT_PORT

    def __post_init__(self):
        check_display_flags(self.display_data, self.display_data_path, self.display_ip, self.display_port)

    def display_flags(self) -> dict[str, Any]:
        """The four flags as keyword arguments (to build another `DisplayFlags` config from this one)."""
        return {f.name: getattr(self, f.name) for f in fields(DisplayFlags)}

    def make_display(self) -> RerunDisplay | None:
        return make_display(self.display_data, self.display_data_path, self.display_ip, self.display_port)


def grpc_url(host: str, port: int) -> str:
    """The URL a Rerun SDK connects to for the viewer / `rerun --serve-grpc` at `host:port`."""
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host  # IPv6 literal
    return f"rerun+http://{host}:{port}/proxy"


def check_viewer_reachable(host: str, port: int, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail now, rather than buffer a session that never arrives, when nothing listens at host:port."""
    try:
        socket.create_connection((host.strip("[]"), port), timeout=timeout_s).close()
    except OSError as e:
        raise ConnectionError(
            f"--display_ip={host} --display_port={port}: no Rerun viewer answers there ({e}). On that "
            f"computer start `rerun` (a viewer window) or `rerun --serve-grpc --port {port}` (headless, add "
            "`--save x.rrd` to keep the data), and let the port through its firewall."
        ) from e


class RerunDisplay:
    """Streams logged steps to Rerun, to one of:

    - `save_path`: an `.rrd` file (complete once closed);
    - `ip` (+ `port`): a viewer or `rerun --serve-grpc` on another computer, over gRPC;
    - `serve=True`: a gRPC server on `port` that viewers connect to (`self.url`), alive until closed;
    - otherwise a viewer spawned on this computer (needs a display).

    Use as a context manager (or call `close()`), which flushes and disconnects so that nothing is lost.
    One `rerun.RecordingStream` per display, so several displays in one process do not share state.
    """

    def __init__(
        self,
        session_name: str = "lerobot",
        save_path: str | Path | None = None,
        ip: str | None = None,
        port: int = DEFAULT_PORT,
        serve: bool = False,
        no_display_hint: str = NO_DISPLAY_HINT,
        viewer_flag: str = "--display_data=true",
    ):
        if sum((save_path is not None, ip is not None, serve)) > 1:
            raise ValueError("RerunDisplay: give at most one of save_path, ip and serve=True.")
        try:
            import rerun as rr
        except ImportError as e:
            raise ImportError(
                '--display_data=true needs the Rerun SDK: pip install -e ".[rerun]" (or pip install rerun-sdk).'
            ) from e
        self._rr = rr
        self.save_path = Path(save_path) if save_path is not None else None
        self.url: str | None = None
        if save_path is None and ip is None and not serve:
            check_viewer_can_open(no_display_hint, viewer_flag)  # not a viewer that cannot open a window
        if ip is not None:
            check_viewer_reachable(ip, port)
        self._stream = rr.RecordingStream(session_name)
        if self.save_path is not None:
            self.save_path.parent.mkdir(parents=True, exist_ok=True)
            self._stream.save(self.save_path)
        elif ip is not None:
            self.url = grpc_url(ip, port)
            self._stream.connect_grpc(self.url)
        elif serve:
            self.url = self._stream.serve_grpc(grpc_port=port)
        else:
            self._stream.spawn(port=port)  # starts the `rerun` viewer (installed with rerun-sdk), connects
        self._step = 0
        self._closed = False

    def log_entities(self, entities: list[Entity], **timelines: int | float) -> None:
        """Log `entities` (from `rerun_entities` / `prefixed_entities`) at the given timeline values: ints
        are sequence timelines, floats durations in seconds (e.g. `frame_index=3, timestamp=0.3`)."""
        for name, value in timelines.items():
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                self._stream.set_time(name, sequence=int(value))
            else:
                self._stream.set_time(name, duration=float(value))
        for path, kind, value in entities:
            archetype = self._rr.Scalars(value) if kind == "scalar" else self._rr.Image(value)
            self._stream.log(path, archetype)

    def log(self, observation: dict[str, Any] | None, action: dict[str, Any] | None, step: int | None = None):
        """Show one control step on the `frame` timeline (`step` None: the one after the last logged)."""
        entities = rerun_entities(observation, action)  # validates before anything is sent
        self._step = self._step if step is None else step
        self.log_entities(entities, **{TIMELINE: self._step})
        self._step += 1

    def flush(self) -> None:
        self._stream.flush(timeout_sec=FLUSH_TIMEOUT_S)

    def close(self) -> None:
        """Send what is buffered (waiting up to FLUSH_TIMEOUT_S for a remote viewer), then disconnect."""
        if self._closed:
            return
        self._closed = True
        try:
            self._stream.flush(timeout_sec=FLUSH_TIMEOUT_S)
        except RuntimeError as e:  # rerun raises RuntimeError("Flush timed out ...") for a vanished viewer
            logger.warning("Rerun display: %s (the viewer at %s stopped receiving).", e, self.url)
        finally:
            self._stream.disconnect()

    def __enter__(self) -> RerunDisplay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
