"""Live display of robot observations and actions in the Rerun viewer (`--display_data=true`).

`rerun_entities` is the pure mapping from one control step to what is shown; `RerunDisplay` sends it to a
viewer it spawns, or to an `.rrd` file (`save_path`) to open later with `rerun <file>.rrd`: the way to
look at a headless robot computer's data.

    observation {"shoulder_pan.pos": 12.3, "front": (H, W, 3) uint8}  -> observation/shoulder_pan.pos  scalar
                                                                         observation/front             image
    action {"shoulder_pan.pos": 12.0}                                   -> action/shoulder_pan.pos       scalar
    a 1-D array value v of length D                                     -> <prefix>/<key>/0 .. /<D-1>    scalars

Dictionary keys become entity path parts as they are (a `/` in a key nests). Every step is logged on the
`frame` timeline.
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any, Literal

import numpy as np

EntityKind = Literal["scalar", "image"]
IMAGE_CHANNELS = (1, 3, 4)
TIMELINE = "frame"


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


def rerun_entities(
    observation: dict[str, Any] | None, action: dict[str, Any] | None
) -> list[tuple[str, EntityKind, float | np.ndarray]]:
    """One control step -> [(entity path, kind, value)]: numbers (and 0-d arrays) -> one scalar (float),
    1-D arrays -> one scalar per element, 3-D arrays -> one image ((H, W, C) uint8). Anything else raises a
    ValueError naming the key."""
    entities: list[tuple[str, EntityKind, float | np.ndarray]] = []
    for prefix, values in (("observation", observation), ("action", action)):
        for key, value in (values or {}).items():
            path = f"{prefix}/{key}"
            if isinstance(value, numbers.Real):  # bool, int, float and the numpy scalars
                entities.append((path, "scalar", float(value)))
                continue
            if not isinstance(value, (list, tuple)) and not hasattr(value, "__array__"):
                raise ValueError(
                    f"Cannot display {path!r}: expected a number, a 1-D array or an image, got "
                    f"{type(value).__name__}."
                )
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise ValueError(f"Cannot display {path!r}: non-numeric array of dtype {array.dtype}.")
            if array.ndim == 0:
                entities.append((path, "scalar", float(array)))
            elif array.ndim == 1:
                entities.extend((f"{path}/{i}", "scalar", float(x)) for i, x in enumerate(array))
            elif array.ndim == 3:
                entities.append((path, "image", _to_hwc_uint8(path, array)))
            else:
                raise ValueError(
                    f"Cannot display {path!r}: expected a number, a 1-D array or an (H, W, C) / (C, H, W) "
                    f"image, got an array of shape {tuple(array.shape)}."
                )
    return entities


def check_display_flags(display_data: bool, display_data_path: str | Path | None) -> None:
    if display_data_path is not None and not display_data:
        raise ValueError(
            f"--display_data_path={display_data_path} saves the live display: add --display_data=true."
        )


def make_display(display_data: bool, display_data_path: str | Path | None) -> RerunDisplay | None:
    """The display the `--display_data` / `--display_data_path` flags ask for (None: no display)."""
    check_display_flags(display_data, display_data_path)
    return RerunDisplay(save_path=display_data_path) if display_data else None


class RerunDisplay:
    """Streams control steps to Rerun: a spawned viewer, or the `.rrd` file `save_path` when given.

    Use as a context manager (or call `close()`): the file is complete once closed. One
    `rerun.RecordingStream` per display, so several displays in one process do not share state.
    """

    def __init__(self, session_name: str = "lerobot", save_path: str | Path | None = None):
        try:
            import rerun as rr
        except ImportError as e:
            raise ImportError(
                '--display_data=true needs the Rerun SDK: pip install -e ".[rerun]" (or pip install rerun-sdk).'
            ) from e
        self._rr = rr
        self.save_path = Path(save_path) if save_path is not None else None
        self._stream = rr.RecordingStream(session_name)
        if self.save_path is not None:
            self.save_path.parent.mkdir(parents=True, exist_ok=True)
            self._stream.save(self.save_path)
        else:
            self._stream.spawn()  # starts the `rerun` viewer (installed with rerun-sdk) and connects to it
        self._step = 0
        self._closed = False

    def log(self, observation: dict[str, Any] | None, action: dict[str, Any] | None, step: int | None = None):
        """Show one step on the `frame` timeline (`step` None: the one after the last logged)."""
        entities = rerun_entities(observation, action)  # validates before anything is sent
        self._step = self._step if step is None else step
        self._stream.set_time(TIMELINE, sequence=self._step)
        for path, kind, value in entities:
            archetype = self._rr.Scalars(value) if kind == "scalar" else self._rr.Image(value)
            self._stream.log(path, archetype)
        self._step += 1

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._stream.flush()
            self._stream.disconnect()

    def __enter__(self) -> RerunDisplay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
