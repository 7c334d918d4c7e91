"""Shared logic of serial-bus arms (followers and leaders): connect, calibration flow, disconnect.

Calibration flow, prompts answered through `self.input_fn`:
1. torque off, calibration operating mode;
2. "move to the middle of the range, press ENTER" -> half-turn homing offsets written to the motors;
3. "move every joint through its whole range, press ENTER to stop" -> min/max recorded while the user
   moves (full-turn joints get 0..resolution-1);
4. file saved and written to the motors.
On connect, a calibration file that matches the motors is reused silently; one that does not match is
offered for reuse (ENTER writes it to the motors) or recalibration ('c').
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import Any

from lerobot.motors.motor import MotorCalibration
from lerobot.motors.motors_bus import MotorsBus
from lerobot.utils.robot_utils import track_connected, untrack

logger = logging.getLogger(__name__)

# True while `lerobot-calibrate` connects a device in order to calibrate it: no "not calibrated" warning.
_about_to_calibrate = contextvars.ContextVar("about_to_calibrate", default=False)


@contextlib.contextmanager
def connecting_to_calibrate() -> Iterator[None]:
    """Connect devices inside this block to calibrate them right after (silences the uncalibrated warning)."""
    token = _about_to_calibrate.set(True)
    try:
        yield
    finally:
        _about_to_calibrate.reset(token)


class MotorArmMixin:
    bus: MotorsBus
    full_turn_motors: tuple[str, ...] = ()
    calibration_operating_mode: str = "position"
    calibration: dict[str, MotorCalibration]

    def _arm_connect(self, calibrate: bool, cameras: dict[str, Any] | None = None) -> None:
        if self.bus.is_connected:
            raise RuntimeError(f"{self} is already connected.")
        self.bus.connect()
        try:
            if self.calibration and self.bus.calibration_matches(self.calibration):
                self.bus.calibration = dict(self.calibration)
            elif calibrate:
                self.calibrate()
            elif not _about_to_calibrate.get():
                logger.warning("%s is not calibrated: normalized reads and writes will fail.", self)
            for cam in (cameras or {}).values():
                cam.connect()
            self.configure()
        except BaseException:
            for cam in (cameras or {}).values():
                if cam.is_connected:
                    cam.disconnect()
            self.bus.disconnect(disable_torque=True)
            raise
        track_connected(self)

    @property
    def is_calibrated(self) -> bool:
        return bool(self.calibration) and self.bus.calibration_matches(self.calibration)

    def calibrate(self) -> None:
        if self.calibration:
            answer = self.input_fn(
                f"Press ENTER to use the calibration file of id '{self.id}' ({self.calibration_fpath}), "
                "or type 'c' and press ENTER to run a new calibration: "
            )
            if answer.strip().lower() != "c":
                self.bus.disable_torque()
                self.bus.write_calibration(self.calibration)
                return
        logger.info("Running calibration of %s", self)
        bus = self.bus
        bus.disable_torque()
        bus.set_operating_mode(self.calibration_operating_mode)
        self.input_fn(f"Move {self} to the middle of its range of motion and press ENTER...")
        homings = bus.set_half_turn_homings()
        range_motors = [m for m in bus.motors if m not in self.full_turn_motors]
        stop = threading.Event()

        def wait_for_enter() -> None:
            try:
                self.input_fn(
                    f"Move all joints of {self} except {list(self.full_turn_motors)} through their entire range of motion, "
                    "then press ENTER to stop recording..."
                )
            finally:
                stop.set()

        prompt = threading.Thread(target=wait_for_enter, daemon=True)
        prompt.start()
        mins, maxes = bus.record_ranges_of_motion(range_motors, stop=stop.is_set)
        prompt.join()
        calibration = {}
        for name, motor in bus.motors.items():
            full = name in self.full_turn_motors
            calibration[name] = MotorCalibration(
                id=motor.id,
                drive_mode=0,
                homing_offset=homings[name],
                range_min=0 if full else mins[name],
                range_max=bus.model_resolution[motor.model] - 1 if full else maxes[name],
            )
        bus.write_calibration(calibration)
        self.calibration = calibration
        self._save_calibration()
        logger.info("Calibration saved to %s", self.calibration_fpath)

    def _arm_disconnect(self, disable_torque: bool, cameras: dict[str, Any] | None = None) -> None:
        untrack(self)
        try:
            self.bus.disconnect(disable_torque=disable_torque)
        finally:
            for cam in (cameras or {}).values():
                if cam.is_connected:
                    cam.disconnect()
