"""What robots and teleoperators share: identity, calibration files, interactive prompts, exit safety.

`lerobot.robots.Robot` and `lerobot.teleoperators.Teleoperator` both derive from `CalibratedDevice`; this
package is their common base, so that neither family imports the other.

Calibration files live in `$HF_LEROBOT_CALIBRATION` (default `$HF_LEROBOT_HOME/calibration`) under
`{robots|teleoperators}/<type>/<id>.json`, one dict per motor:
    {"shoulder_pan": {"id": 1, "drive_mode": 0, "homing_offset": -1470, "range_min": 758, "range_max": 3292}}
"""

from __future__ import annotations

import abc
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Self

from lerobot.motors.motor import MotorCalibration
from lerobot.utils.constants import hf_lerobot_home


def calibration_root() -> Path:
    env = os.environ.get("HF_LEROBOT_CALIBRATION")
    return Path(env).expanduser() if env else hf_lerobot_home() / "calibration"


def load_calibration(path: Path) -> dict[str, MotorCalibration]:
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(
            f"Calibration file {path} is not valid JSON ({e}); delete it and recalibrate."
        ) from e
    if not isinstance(raw, dict):
        raise ValueError(f"Calibration file {path}: expected a dict of motors, got {type(raw).__name__}.")
    fields = {"id", "drive_mode", "homing_offset", "range_min", "range_max"}
    out = {}
    for motor, entry in raw.items():
        if not isinstance(entry, dict) or set(entry) != fields:
            got = sorted(entry) if isinstance(entry, dict) else entry
            raise ValueError(
                f"Calibration file {path}, motor '{motor}': expected keys {sorted(fields)}, got {got}."
            )
        out[motor] = MotorCalibration(**{k: int(v) for k, v in entry.items()})
    return out


def save_calibration(path: Path, calibration: dict[str, MotorCalibration]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({m: c.to_dict() for m, c in calibration.items()}, indent=4) + "\n")
    tmp.replace(path)


class CalibratedDevice(abc.ABC):
    """Base of `Robot` and `Teleoperator`: `id`, `calibration_fpath`, `calibration` (loaded if the file
    exists), `input_fn`, the connection/calibration interface and the context manager (connect on enter,
    disconnect on every exit path).

    `input_fn` (default: `input`) answers the interactive calibration prompts; tests replace it with a
    scripted function.
    """

    name: str
    device_kind: str  # "robots" or "teleoperators"

    def _init_device(self, device_id: str | None, calibration_dir: Path | None) -> None:
        self.id = device_id
        base = Path(calibration_dir) if calibration_dir else calibration_root() / self.device_kind / self.name
        self.calibration_dir = base
        self.calibration_fpath = base / f"{device_id}.json"
        self.calibration: dict[str, MotorCalibration] = (
            load_calibration(self.calibration_fpath) if self.calibration_fpath.is_file() else {}
        )
        self.input_fn: Callable[[str], str] = input

    def _save_calibration(self) -> None:
        save_calibration(self.calibration_fpath, self.calibration)

    def __str__(self) -> str:
        return f"{self.id} {type(self).__name__}"

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.disconnect()

    @property
    @abc.abstractmethod
    def is_connected(self) -> bool: ...

    @abc.abstractmethod
    def connect(self, calibrate: bool = True) -> None: ...

    @property
    @abc.abstractmethod
    def is_calibrated(self) -> bool: ...

    @abc.abstractmethod
    def calibrate(self) -> None: ...

    @abc.abstractmethod
    def configure(self) -> None: ...

    @abc.abstractmethod
    def disconnect(self) -> None: ...
