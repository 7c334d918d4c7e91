"""Motor bus base: register access by name over a vendor SDK, with retries, torque control and calibration.

A bus owns one serial port and a set of named motors (`Motor(id, model, norm_mode)`). Registers are
addressed by their control-table name (`"Present_Position"`, `"Goal_Position"`, `"Torque_Enable"`, ...);
the tables are data in `<vendor>/tables.py`. The vendor subclasses (`FeetechMotorsBus`,
`DynamixelMotorsBus`) only provide the SDK objects, the byte/sign encodings and the homing convention;
everything else (retries, sync read/write, normalization, calibration, motor setup) lives here.

Normalization of the position registers (raw ticks <-> degrees or percent) is `lerobot/motors/motor.py`.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lerobot.motors.motor import Motor, MotorCalibration, normalize, unnormalize

logger = logging.getLogger(__name__)

NORMALIZED_REGISTERS = ("Goal_Position", "Present_Position")


class MotorBusError(ConnectionError):
    """A bus transaction failed after all retries. The message names port, motor id and register."""


class MotorsBus(abc.ABC):
    """Base class of motor buses. Use as a context manager, or call `connect()` / `disconnect()`."""

    # Provided by vendor subclasses (data from `<vendor>/tables.py`).
    model_ctrl_table: dict[str, dict[str, tuple[int, int]]]
    model_resolution: dict[str, int]
    model_number_table: dict[str, int]
    model_baudrate_table: dict[str, dict[int, int]]
    operating_modes: dict[str, int]
    default_baudrate: int = 1_000_000
    factory_baudrate: int = 1_000_000
    # Retries after a failed transaction when the caller gives none (class-wide default).
    DEFAULT_NUM_RETRIES: int = 3
    eeprom_end_address: int
    vendor: str

    def __init__(
        self,
        port: str,
        motors: dict[str, Motor],
        calibration: dict[str, MotorCalibration] | None = None,
        num_retries: int | None = None,
    ):
        if not motors:
            raise ValueError(f"{type(self).__name__} on {port}: `motors` is empty, give at least one motor.")
        ids = [m.id for m in motors.values()]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{type(self).__name__} on {port}: motor ids must be unique, got {ids}.")
        for name, m in motors.items():
            if m.model not in self.model_ctrl_table:
                raise ValueError(
                    f"Motor '{name}' on {port}: unknown {self.vendor} model '{m.model}'. "
                    f"Known models: {sorted(self.model_ctrl_table)}."
                )
        self.port = port
        self.motors = dict(motors)
        self.calibration: dict[str, MotorCalibration] = dict(calibration or {})
        self.num_retries = self.DEFAULT_NUM_RETRIES if num_retries is None else num_retries
        self._id_to_name = {m.id: name for name, m in motors.items()}
        self.port_handler: Any = None
        self.packet_handler: Any = None
        self._sdk: Any = None

    # ----------------------------------------------------------------- vendor hooks
    @abc.abstractmethod
    def _import_sdk(self) -> Any:
        """Return the vendor SDK module (raises ImportError naming the extra to install)."""

    @abc.abstractmethod
    def _make_packet_handler(self) -> Any: ...

    @abc.abstractmethod
    def _encode(self, register: str, model: str, value: int) -> int:
        """Signed user value -> unsigned register value."""

    @abc.abstractmethod
    def _decode(self, register: str, model: str, value: int) -> int:
        """Unsigned register value -> signed user value."""

    @abc.abstractmethod
    def _to_bytes(self, value: int, size: int) -> list[int]: ...

    @abc.abstractmethod
    def _from_bytes(self, data: list[int]) -> int: ...

    @abc.abstractmethod
    def _half_turn_homings(self, positions: dict[str, int]) -> dict[str, int]:
        """Homing offsets that make the current raw positions read as half a turn."""

    @abc.abstractmethod
    def broadcast_ping(self) -> dict[int, int]:
        """Ids answering on the bus at the current baud rate -> their model number."""

    # ----------------------------------------------------------------- connection
    def __repr__(self) -> str:
        return f"{type(self).__name__}(port={self.port!r}, motors={list(self.motors)})"

    @property
    def is_connected(self) -> bool:
        return self.port_handler is not None and bool(self.port_handler.is_open)

    def connect(self, handshake: bool = True) -> None:
        if self.is_connected:
            raise RuntimeError(f"{self} is already connected.")
        self._sdk = self._import_sdk()
        self.port_handler = self._sdk.PortHandler(self.port)
        self.packet_handler = self._make_packet_handler()
        try:
            if not self.port_handler.openPort():
                raise MotorBusError(f"Could not open port '{self.port}'.")
        except OSError as e:
            self.port_handler = None
            raise MotorBusError(
                f"Could not open port '{self.port}' ({e}). Check the cable and the port name "
                "(`lerobot-find-port` lists the ports), and that no other program holds it."
            ) from e
        self.set_baudrate(self.default_baudrate)
        if handshake:
            try:
                self._handshake()
            except MotorBusError:
                self.port_handler.closePort()
                self.port_handler = None
                raise

    def _handshake(self) -> None:
        """Check that every configured motor answers with the configured model."""
        missing, wrong = [], []
        for name, m in self.motors.items():
            model_number = self.ping(m.id, num_retries=self.num_retries)
            if model_number is None:
                missing.append(f"'{name}' (id {m.id})")
            elif model_number != self.model_number_table[m.model]:
                wrong.append(
                    f"'{name}' (id {m.id}) is model number {model_number}, expected "
                    f"{self.model_number_table[m.model]} ({m.model})"
                )
        if missing or wrong:
            raise MotorBusError(
                f"{self.port}: motor check failed. Missing: {missing or 'none'}. Wrong model: {wrong or 'none'}. "
                "Check wiring and power, and run `lerobot-setup-motors` to set ids and baud rates."
            )

    def disconnect(self, disable_torque: bool = True) -> None:
        if not self.is_connected:
            return
        # An exception (Ctrl-C, SIGTERM) may have interrupted a transaction inside the SDK, which then
        # still marks the port busy and may have half a status packet buffered: reset both.
        self.port_handler.is_using = False
        self._flush_input()
        try:
            if disable_torque:
                self.disable_torque(num_retries=5)
        finally:
            self.port_handler.closePort()
            self.port_handler = None

    def __enter__(self) -> MotorsBus:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.disconnect()

    def set_baudrate(self, baudrate: int) -> None:
        if not self.port_handler.setBaudRate(baudrate):
            raise MotorBusError(f"{self.port}: could not set baud rate {baudrate}.")
        # The SDKs open the port non-blocking and spin on `read()` until a status packet completes, burning
        # a core per bus. A 1 ms read timeout lets `read()` wait in select() instead: the same latency
        # (it returns as soon as the bytes are there), the SDK's own packet timeouts unchanged.
        self.port_handler.ser.timeout = 0.001

    def _require_connected(self) -> None:
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")

    # ----------------------------------------------------------------- register lookup
    def _register(self, register: str, motor_names: Iterable[str]) -> tuple[int, int]:
        """(address, size) of `register`, checked to be identical for all given motors."""
        found: set[tuple[int, int]] = set()
        for name in motor_names:
            table = self.model_ctrl_table[self.motors[name].model]
            if register not in table:
                import difflib

                close = difflib.get_close_matches(register, table, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise KeyError(
                    f"Register '{register}' does not exist on model '{self.motors[name].model}' "
                    f"(motor '{name}').{hint}"
                )
            found.add(table[register])
        if len(found) != 1:
            raise ValueError(
                f"Register '{register}' has different addresses across motors {list(motor_names)}: {found}; "
                "sync read/write needs one address, use per-motor read/write instead."
            )
        return found.pop()

    def _names(self, motors: str | Iterable[str] | None) -> list[str]:
        if motors is None:
            return list(self.motors)
        names = [motors] if isinstance(motors, str) else list(motors)
        for n in names:
            if n not in self.motors:
                raise KeyError(f"Unknown motor '{n}' on {self.port}; motors are {list(self.motors)}.")
        return names

    # ----------------------------------------------------------------- low level with retries
    def _comm_ok(self, comm: int, error: int) -> bool:
        return comm == self._sdk.COMM_SUCCESS and error == 0

    def _describe(self, comm: int, error: int) -> str:
        if comm != self._sdk.COMM_SUCCESS:
            return self.packet_handler.getTxRxResult(comm)
        return self.packet_handler.getRxPacketError(error)

    def _flush_input(self) -> None:
        # A status packet arriving after a timeout must not be taken for the answer to the next request:
        # give late packets a moment to land, then drop them.
        time.sleep(0.002)
        self.port_handler.ser.reset_input_buffer()

    def ping(self, motor_id: int, num_retries: int = 0) -> int | None:
        """Model number of motor `motor_id`, or None if it does not answer."""
        self._require_connected()
        for _ in range(num_retries + 1):
            try:
                model_number, comm, error = self.packet_handler.ping(self.port_handler, motor_id)
            except IndexError:
                # scservo_sdk's ping indexes the model-number reply without checking its length: a late
                # status packet of an earlier, timed-out request (no parameters) makes it raise.
                self.port_handler.is_using = False
                comm, error = None, 0
            if comm is not None and self._comm_ok(comm, error):
                return model_number
            self._flush_input()
        return None

    def _read_raw(self, motor_id: int, address: int, size: int, register: str, num_retries: int) -> int:
        comm, error = 0, 0
        for _ in range(num_retries + 1):
            data, comm, error = self.packet_handler.readTxRx(self.port_handler, motor_id, address, size)
            if self._comm_ok(comm, error) and len(data) == size:
                return self._from_bytes(data)
            self._flush_input()
        raise MotorBusError(
            f"{self.port}: failed to read '{register}' from motor id {motor_id} "
            f"('{self._id_to_name.get(motor_id, '?')}') after {num_retries + 1} tries: {self._describe(comm, error)}"
        )

    def _write_raw(
        self, motor_id: int, address: int, size: int, value: int, register: str, num_retries: int
    ) -> None:
        comm, error = 0, 0
        for _ in range(num_retries + 1):
            comm, error = self.packet_handler.writeTxRx(
                self.port_handler, motor_id, address, size, self._to_bytes(value, size)
            )
            if self._comm_ok(comm, error):
                return
            self._flush_input()
        raise MotorBusError(
            f"{self.port}: failed to write '{register}'={value} to motor id {motor_id} "
            f"('{self._id_to_name.get(motor_id, '?')}') after {num_retries + 1} tries: {self._describe(comm, error)}"
        )

    # ----------------------------------------------------------------- public register access
    def read(
        self, register: str, motor: str, normalize: bool = True, num_retries: int | None = None
    ) -> float | int:
        self._require_connected()
        (name,) = self._names(motor)
        address, size = self._register(register, [name])
        m = self.motors[name]
        retries = self.num_retries if num_retries is None else num_retries
        value = self._decode(register, m.model, self._read_raw(m.id, address, size, register, retries))
        if normalize and register in NORMALIZED_REGISTERS:
            return self._normalize({name: value})[name]
        return value

    def write(
        self, register: str, motor: str, value: float, normalize: bool = True, num_retries: int | None = None
    ) -> None:
        self._require_connected()
        (name,) = self._names(motor)
        address, size = self._register(register, [name])
        m = self.motors[name]
        if normalize and register in NORMALIZED_REGISTERS:
            value = self._unnormalize({name: value})[name]
        raw = self._encode(register, m.model, int(value))
        retries = self.num_retries if num_retries is None else num_retries
        self._write_raw(m.id, address, size, raw, register, retries)

    def sync_read(
        self,
        register: str,
        motors: str | Iterable[str] | None = None,
        normalize: bool = True,
        num_retries: int | None = None,
    ) -> dict[str, float | int]:
        """Read `register` from several motors in one instruction -> {motor name: value}."""
        self._require_connected()
        names = self._names(motors)
        address, size = self._register(register, names)
        retries = self.num_retries if num_retries is None else num_retries
        group = self._sdk.GroupSyncRead(self.port_handler, self.packet_handler, address, size)
        for n in names:
            group.addParam(self.motors[n].id)
        comm = 0
        for _ in range(retries + 1):
            comm = group.txRxPacket()
            # A late status packet of an earlier request can pass for a reply with too few bytes.
            complete = all(len(group.data_dict.get(self.motors[n].id) or []) >= size for n in names)
            if comm == self._sdk.COMM_SUCCESS and complete:
                break
            self._flush_input()
        else:
            failed = [
                f"id {self.motors[n].id} ('{n}')"
                for n in names
                if len(group.data_dict.get(self.motors[n].id) or []) < size
            ]
            raise MotorBusError(
                f"{self.port}: failed to sync read '{register}' after {retries + 1} tries "
                f"({self.packet_handler.getTxRxResult(comm) if comm != self._sdk.COMM_SUCCESS else 'short status packet'}); "
                "no valid status packet from motor "
                f"{', '.join(failed) or 'unknown'}."
            )
        raw = {
            n: self._decode(
                register, self.motors[n].model, self._from_bytes(group.data_dict[self.motors[n].id][:size])
            )
            for n in names
        }
        return self._normalize(raw) if normalize and register in NORMALIZED_REGISTERS else raw

    def sync_write(
        self,
        register: str,
        values: dict[str, float] | float,
        normalize: bool = True,
    ) -> None:
        """Write `register` on several motors in one broadcast instruction (no status packets)."""
        self._require_connected()
        if not isinstance(values, dict):
            values = dict.fromkeys(self.motors, values)
        names = self._names(values)
        address, size = self._register(register, names)
        if normalize and register in NORMALIZED_REGISTERS:
            values = self._unnormalize(values)
        group = self._sdk.GroupSyncWrite(self.port_handler, self.packet_handler, address, size)
        for n in names:
            raw = self._encode(register, self.motors[n].model, int(values[n]))
            group.addParam(self.motors[n].id, self._to_bytes(raw, size))
        comm = group.txPacket()
        if comm != self._sdk.COMM_SUCCESS:
            raise MotorBusError(
                f"{self.port}: failed to sync write '{register}' to {names}: "
                f"{self.packet_handler.getTxRxResult(comm)}"
            )

    # ----------------------------------------------------------------- torque and modes
    def disable_torque(
        self, motors: str | Iterable[str] | None = None, num_retries: int | None = None
    ) -> None:
        for n in self._names(motors):
            self.write("Torque_Enable", n, 0, num_retries=num_retries)

    def enable_torque(
        self, motors: str | Iterable[str] | None = None, num_retries: int | None = None
    ) -> None:
        for n in self._names(motors):
            self.write("Torque_Enable", n, 1, num_retries=num_retries)

    @contextlib.contextmanager
    def torque_disabled(self, motors: str | Iterable[str] | None = None) -> Iterator[None]:
        """Disable torque (to write EEPROM registers), re-enable it on exit holding the current position."""
        self.disable_torque(motors)
        try:
            yield
        finally:
            self.hold_position(motors)
            self.enable_torque(motors)

    def hold_position(self, motors: str | Iterable[str] | None = None) -> None:
        """Set the goal to the present position, so that enabling torque does not jump to a stale goal."""
        present = self.sync_read("Present_Position", motors, normalize=False)
        self.sync_write("Goal_Position", present, normalize=False)

    def set_operating_mode(self, mode: str, motors: str | Iterable[str] | None = None) -> None:
        if mode not in self.operating_modes:
            raise ValueError(
                f"Unknown {self.vendor} operating mode '{mode}'; known: {list(self.operating_modes)}."
            )
        for n in self._names(motors):
            self.write("Operating_Mode", n, self.operating_modes[mode])

    # ----------------------------------------------------------------- normalization
    def _normalize(self, raw: dict[str, int]) -> dict[str, float]:
        return {n: normalize(v, self._calib(n), self.motors[n], self._resolution(n)) for n, v in raw.items()}

    def _unnormalize(self, values: dict[str, float]) -> dict[str, int]:
        """Inverse of `_normalize`; the result is clamped to the calibrated range (a safety bound)."""
        return {
            n: unnormalize(x, self._calib(n), self.motors[n], self._resolution(n)) for n, x in values.items()
        }

    def _resolution(self, name: str) -> int:
        return self.model_resolution[self.motors[name].model]

    def _calib(self, name: str) -> MotorCalibration:
        if name not in self.calibration:
            raise RuntimeError(
                f"Motor '{name}' on {self.port} has no calibration: calibrate the device first, or read/write "
                "with normalize=False for raw encoder ticks."
            )
        return self.calibration[name]

    # ----------------------------------------------------------------- calibration
    def read_calibration(self) -> dict[str, MotorCalibration]:
        """Calibration currently stored in the motors (drive modes come from `self.calibration`)."""
        offsets = self.sync_read("Homing_Offset", normalize=False)
        mins = self.sync_read("Min_Position_Limit", normalize=False)
        maxes = self.sync_read("Max_Position_Limit", normalize=False)
        out = {}
        for n, m in self.motors.items():
            drive = self.calibration[n].drive_mode if n in self.calibration else 0
            out[n] = MotorCalibration(
                id=m.id,
                drive_mode=drive,
                homing_offset=int(offsets[n]),
                range_min=int(mins[n]),
                range_max=int(maxes[n]) if maxes[n] > mins[n] else int(mins[n]) + 1,
            )
        return out

    def write_calibration(self, calibration: dict[str, MotorCalibration]) -> None:
        """Write homing offsets and position limits to the motors (torque must be off)."""
        for n, c in calibration.items():
            self.write("Homing_Offset", n, c.homing_offset, normalize=False)
            self.write("Min_Position_Limit", n, c.range_min, normalize=False)
            self.write("Max_Position_Limit", n, c.range_max, normalize=False)
        self.calibration = dict(calibration)

    def calibration_matches(self, calibration: dict[str, MotorCalibration]) -> bool:
        """True if the motors hold exactly `calibration` (ids, offsets, ranges)."""
        if set(calibration) != set(self.motors):
            return False
        if any(calibration[n].id != m.id for n, m in self.motors.items()):
            return False
        stored = self.read_calibration()
        return all(
            (stored[n].homing_offset, stored[n].range_min, stored[n].range_max)
            == (c.homing_offset, c.range_min, c.range_max)
            for n, c in calibration.items()
        )

    def reset_calibration(self, motors: str | Iterable[str] | None = None) -> None:
        """Zero homing offsets and open the position limits to the full turn."""
        for n in self._names(motors):
            res = self.model_resolution[self.motors[n].model]
            self.write("Homing_Offset", n, 0, normalize=False)
            self.write("Min_Position_Limit", n, 0, normalize=False)
            self.write("Max_Position_Limit", n, res - 1, normalize=False)

    def set_half_turn_homings(self, motors: str | Iterable[str] | None = None) -> dict[str, int]:
        """Make the current position read as half a turn on each motor; returns the homing offsets."""
        names = self._names(motors)
        self.reset_calibration(names)
        positions = self.sync_read("Present_Position", names, normalize=False)
        offsets = self._half_turn_homings({n: int(v) for n, v in positions.items()})
        for n, off in offsets.items():
            self.write("Homing_Offset", n, off, normalize=False)
        return offsets

    def record_ranges_of_motion(
        self,
        motors: str | Iterable[str] | None = None,
        stop: Callable[[], bool] | None = None,
        poll_s: float = 0.01,
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Track min/max raw positions while the user moves the joints, until `stop()` returns True."""
        names = self._names(motors)
        start = self.sync_read("Present_Position", names, normalize=False)
        mins, maxes = dict(start), dict(start)
        while True:
            done = stop() if stop is not None else True
            pos = self.sync_read("Present_Position", names, normalize=False)
            for n, v in pos.items():
                mins[n] = min(mins[n], v)
                maxes[n] = max(maxes[n], v)
            if done:
                break
            time.sleep(poll_s)
        same = [n for n in names if mins[n] == maxes[n]]
        if same:
            raise ValueError(
                f"Joints {same} did not move during range recording: move each joint end to end."
            )
        return {n: int(v) for n, v in mins.items()}, {n: int(v) for n, v in maxes.items()}

    # ----------------------------------------------------------------- motor setup
    def _find_single_motor(self, expected_model: str) -> tuple[int, int]:
        """Scan the baud rates for exactly one motor -> (baudrate, id)."""
        # The bus default and the factory default first: that is where new or set-up motors are.
        bauds = sorted(set(self.model_baudrate_table[expected_model].values()), reverse=True)
        first = [b for b in (self.default_baudrate, self.factory_baudrate) if b in bauds]
        for baud in first + [b for b in bauds if b not in first]:
            self.set_baudrate(baud)
            found = self.broadcast_ping()
            if not found:
                continue
            if len(found) > 1:
                raise MotorBusError(
                    f"{self.port}: found {len(found)} motors {sorted(found)} at {baud} bps; connect only the "
                    "motor being set up (daisy-chain the others afterwards)."
                )
            ((motor_id, model_number),) = found.items()
            if model_number != self.model_number_table[expected_model]:
                raise MotorBusError(
                    f"{self.port}: the connected motor (id {motor_id}) has model number {model_number}, "
                    f"expected {self.model_number_table[expected_model]} ({expected_model})."
                )
            return baud, motor_id
        raise MotorBusError(f"{self.port}: no motor answered at any baud rate; check wiring and power.")

    def setup_motor(self, motor: str) -> None:
        """Give the single connected motor the id of `motor` and the bus default baud rate."""
        self._require_connected()
        m = self.motors[motor]
        baud, current_id = self._find_single_motor(m.model)
        address, size = self._register("Torque_Enable", [motor])
        self._write_raw(current_id, address, size, 0, "Torque_Enable", self.num_retries)
        if current_id != m.id:
            address, size = self._register("ID", [motor])
            self._write_raw(current_id, address, size, m.id, "ID", self.num_retries)
        if baud != self.default_baudrate:
            table = self.model_baudrate_table[m.model]
            value = next(k for k, v in table.items() if v == self.default_baudrate)
            address, size = self._register("Baud_Rate", [motor])
            self._write_raw(m.id, address, size, value, "Baud_Rate", self.num_retries)
        self.set_baudrate(self.default_baudrate)
        if self.ping(m.id, num_retries=2) is None:
            raise MotorBusError(f"{self.port}: motor '{motor}' did not answer as id {m.id} after setup.")
