"""A motor on a bus: its entry (`Motor`: id, model, normalization mode), its calibration
(`MotorCalibration`, as stored per motor in calibration files) and normalization.

Normalization (position registers only) maps raw encoder ticks to user units with the calibration
`range_min`/`range_max`:
  RANGE_M100_100: ((clamp(v) - min) / (max - min)) * 200 - 100
  RANGE_0_100:    ((clamp(v) - min) / (max - min)) * 100
  DEGREES:        (v - (min + max) / 2) * 360 / (resolution - 1)
`drive_mode = 1` inverts the direction (negates, or `100 - x` for RANGE_0_100).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class MotorNormMode(str, Enum):
    RANGE_0_100 = "range_0_100"
    RANGE_M100_100 = "range_m100_100"
    DEGREES = "degrees"


@dataclass(frozen=True)
class Motor:
    id: int
    model: str
    norm_mode: MotorNormMode


@dataclass
class MotorCalibration:
    """One motor's calibration, as stored per motor in the calibration JSON file."""

    id: int
    drive_mode: int
    homing_offset: int
    range_min: int
    range_max: int

    def __post_init__(self):
        if self.drive_mode not in (0, 1):
            raise ValueError(f"drive_mode must be 0 or 1, got {self.drive_mode} (motor id {self.id})")
        if self.range_max <= self.range_min:
            raise ValueError(
                f"range_max ({self.range_max}) must be greater than range_min ({self.range_min}) for motor "
                f"id {self.id}: the joint was not moved during calibration, recalibrate it."
            )

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def normalize(v: int, c: MotorCalibration, m: Motor, resolution: int) -> float:
    """Raw ticks `v` of motor `m` -> user units (see the module docstring)."""
    lo, hi = c.range_min, c.range_max
    if m.norm_mode is MotorNormMode.DEGREES:
        x = (v - (lo + hi) / 2) * 360 / (resolution - 1)
        return -x if c.drive_mode else x
    frac = (min(max(v, lo), hi) - lo) / (hi - lo)
    if m.norm_mode is MotorNormMode.RANGE_M100_100:
        x = frac * 200 - 100
        return -x if c.drive_mode else x
    x = frac * 100
    return 100 - x if c.drive_mode else x


def unnormalize(x: float, c: MotorCalibration, m: Motor, resolution: int) -> int:
    """Inverse of `normalize`; the result is clamped to the calibrated range (a safety bound)."""
    lo, hi = c.range_min, c.range_max
    if m.norm_mode is MotorNormMode.DEGREES:
        x = -x if c.drive_mode else x
        v = x * (resolution - 1) / 360 + (lo + hi) / 2
    elif m.norm_mode is MotorNormMode.RANGE_M100_100:
        x = -x if c.drive_mode else x
        v = (min(max(x, -100.0), 100.0) + 100) / 200 * (hi - lo) + lo
    else:
        x = 100 - x if c.drive_mode else x
        v = min(max(x, 0.0), 100.0) / 100 * (hi - lo) + lo
    return int(round(min(max(v, lo), hi)))
