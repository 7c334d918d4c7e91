"""The simulated bus served on a pseudo-terminal: the vendor SDKs open the pty slave like a USB-serial
adapter and exchange the same bytes as with real servos.

Instructions: ping (and broadcast ping), read, write (and broadcast write, Dynamixel secondary ids), sync
read, sync write; a motor answers only at its own baud rate. Packets are framed by `codec.py`, motors are
`model.py`'s `SimMotor`, injected faults are `faults.py`'s. `sweep()` and `set_present()` move shafts by
hand, as a person does during calibration.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
import tty

from lerobot.motors.sim.codec import (
    BROADCAST_ID,
    DXL_ERR_INSTRUCTION,
    DYNAMIXEL,
    FEETECH,
    FT_ERR_INSTRUCTION,
    INST_PING,
    INST_READ,
    INST_SYNC_READ,
    INST_SYNC_WRITE,
    INST_WRITE,
    corrupt,
    parse_dynamixel,
    parse_feetech,
    status_packet,
)
from lerobot.motors.sim.faults import Faults
from lerobot.motors.sim.model import SimMotor


class SimulatedServoBus:
    """A bus of simulated motors served on a pty; `port` is the device to open (e.g. `/dev/pts/5`)."""

    def __init__(
        self, motors: list[SimMotor], seed: int = 0, corrupt_rate: float = 0.0, drop_rate: float = 0.0
    ):
        vendors = {m.vendor for m in motors}
        if len(vendors) != 1:
            raise ValueError(f"One simulated bus speaks one protocol; got motors of {sorted(vendors)}.")
        ids = [m.id for m in motors]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Simulated motor ids must be unique, got {ids}.")
        self.vendor = vendors.pop()
        self.motors = {m.id: m for m in motors}
        self.faults = Faults(seed, corrupt_rate, drop_rate)
        self._lock = threading.Lock()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._buf = bytearray()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.packets_served = 0

    @classmethod
    def from_models(cls, models: list[tuple[int, str]], **kwargs) -> SimulatedServoBus:
        return cls([SimMotor(i, m) for i, m in models], **kwargs)

    # -- test / user controls
    def inject_fault(
        self, kind: str, motor_id: int | None = None, count: int = 1, register: str | None = None
    ):
        """Make the next `count` status packets of `motor_id` (any motor if None) faulty.

        kind: "timeout" (no status packet) or "corrupt" (wrong checksum). With `register`, only requests
        touching that register's address are affected.
        """
        with self._lock:
            self.faults.inject(kind, motor_id, count, register)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def plug(self, motors: list[SimMotor]) -> list[SimMotor]:
        """Replace the motors on the bus (e.g. connect one motor at a time); returns the unplugged ones."""
        with self._lock:
            old = list(self.motors.values())
            self.motors = {m.id: m for m in motors}
        return old

    def motor(self, motor_id: int) -> SimMotor:
        return self.motors[motor_id]

    def set_present(self, motor_id: int, raw: int) -> None:
        with self._lock:
            self.motors[motor_id].set_present_raw(raw)

    def present(self, motor_id: int) -> int:
        with self._lock:
            m = self.motors[motor_id]
            m.step(time.monotonic())
            return m.present_raw()

    def torque_enabled(self, motor_id: int) -> bool:
        with self._lock:
            return self.motors[motor_id].torque

    def sweep(
        self,
        motor_ids: list[int] | None = None,
        positions: tuple[int, ...] | None = None,
        dwell_s: float = 0.15,
    ) -> None:
        """Move the shafts by hand, as a person does when calibration asks to move every joint through its
        range: each motor of `motor_ids` (default all) goes to every Present_Position of `positions` in
        turn (default a quarter and three quarters of its resolution, then the middle), held `dwell_s` so
        that a range recorder polling the bus sees it."""
        ids = list(self.motors) if motor_ids is None else list(motor_ids)
        unknown = sorted(set(ids) - set(self.motors))
        if unknown:
            raise ValueError(
                f"sweep: no motor with id {unknown} on {self.port} (ids: {sorted(self.motors)})."
            )
        steps = len(positions) if positions is not None else 3
        for step in range(steps):
            for motor_id in ids:
                res = self.motors[motor_id].resolution
                default = (res // 4, 3 * res // 4, res // 2 - 1)
                self.set_present(motor_id, positions[step] if positions is not None else default[step])
            time.sleep(dwell_s)

    # -- serving
    def start(self) -> SimulatedServoBus:
        self._thread = threading.Thread(target=self.serve_forever, name=f"sim-bus-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> SimulatedServoBus:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:
                return
            self._buf.extend(chunk)
            with self._lock:
                self._process()

    def _port_baudrate(self) -> int | None:
        try:
            speed = termios.tcgetattr(self._slave)[4]
        except termios.error:
            return None
        for name in dir(termios):
            if name.startswith("B") and name[1:].isdigit() and getattr(termios, name) == speed:
                return int(name[1:])
        return None

    def _process(self) -> None:
        parse = parse_feetech if self.vendor == FEETECH else parse_dynamixel
        while True:
            packet = parse(self._buf)
            if packet is None:
                return
            self.packets_served += 1
            motor_id, inst, params = packet
            baud = self._port_baudrate()
            now = time.monotonic()
            for m in self.motors.values():
                m.step(now)
            listening = {i: m for i, m in self.motors.items() if baud is None or m.baudrate == baud}
            self._execute(listening, motor_id, inst, params)

    def _status(self, m: SimMotor, error: int, params: bytes, addr: int | None) -> None:
        drop, bad_checksum = self.faults.for_status(m, addr)
        if drop:
            return
        packet = status_packet(self.vendor, m.id, error, params)
        os.write(self._master, corrupt(packet) if bad_checksum else packet)

    # -- instructions
    def _execute(self, motors: dict[int, SimMotor], motor_id: int, inst: int, params: bytes) -> None:
        dxl = self.vendor == DYNAMIXEL

        def addr_len(p: bytes) -> tuple[int, int, bytes]:
            if dxl:
                return p[0] | (p[1] << 8), p[2] | (p[3] << 8), p[4:]
            return p[0], p[1], p[2:]

        if inst == INST_PING:
            if motor_id == BROADCAST_ID:
                targets = list(motors.values())
            else:
                targets = [motors[motor_id]] if motor_id in motors else []
            for m in sorted(targets, key=lambda m: m.id):
                info = bytes(m.mem[0:2]) + bytes([m.get("Firmware_Version")]) if dxl else b""
                self._status(m, 0, info, None)
        elif inst == INST_READ and motor_id in motors:
            m = motors[motor_id]
            addr, n, _ = addr_len(params) if dxl else (params[0], params[1], b"")
            self._status(m, 0, bytes(m.mem[addr : addr + n]).ljust(n, b"\0"), addr)
        elif inst == INST_WRITE and motor_id not in motors and self._secondaries(motors, motor_id):
            for m in self._secondaries(motors, motor_id):
                m.write(
                    (params[0] | (params[1] << 8)) if dxl else params[0], params[2:] if dxl else params[1:]
                )
        elif inst == INST_WRITE and (motor_id in motors or motor_id == BROADCAST_ID):
            addr = (params[0] | (params[1] << 8)) if dxl else params[0]
            data = params[2:] if dxl else params[1:]
            targets = list(motors.values()) if motor_id == BROADCAST_ID else [motors[motor_id]]
            for m in self._secondaries(motors, motor_id):
                m.write(addr, data)  # a secondary id executes the write silently
            for m in targets:
                error = m.write(addr, data)
                if not error and addr == m.table["Baud_Rate"][0]:
                    m.baudrate = m.baud_table.get(data[0], m.baudrate)
                if motor_id != BROADCAST_ID:
                    self._status(m, error, b"", addr)
                if not error and addr == m.table["ID"][0]:  # the status still comes from the old id
                    self._renumber(m, data[0])
        elif inst == INST_SYNC_READ and motor_id == BROADCAST_ID:
            addr, n, ids = addr_len(params)
            for i in ids:
                if i in motors:
                    self._status(motors[i], 0, bytes(motors[i].mem[addr : addr + n]).ljust(n, b"\0"), addr)
        elif inst == INST_SYNC_WRITE and motor_id == BROADCAST_ID:
            addr, n, rest = addr_len(params)
            for k in range(0, len(rest) - n, n + 1):
                i = rest[k]
                for m in ([motors[i]] if i in motors else []) + self._secondaries(motors, i):
                    m.write(addr, rest[k + 1 : k + 1 + n])
        elif motor_id in motors:
            self._status(motors[motor_id], DXL_ERR_INSTRUCTION if dxl else FT_ERR_INSTRUCTION, b"", None)

    def _secondaries(self, motors: dict[int, SimMotor], motor_id: int) -> list[SimMotor]:
        """Dynamixel motors whose Secondary_ID is `motor_id` (e.g. ALOHA shadow joints follow their primary)."""
        if self.vendor != DYNAMIXEL or motor_id == BROADCAST_ID:
            return []
        return [m for m in motors.values() if m.id != motor_id and m.get("Secondary_ID") == motor_id]

    def _renumber(self, m: SimMotor, new_id: int) -> None:
        if new_id in self.motors and self.motors[new_id] is not m:
            return
        del self.motors[m.id]
        m.id = new_id
        self.motors[new_id] = m
