"""A simulated servo bus on a pseudo-terminal, speaking Feetech protocol 0 or Dynamixel protocol 2.0.

The vendor SDKs open the pty slave like a USB-serial adapter and exchange the same bytes as with real
servos: instruction packets (ping, read, write, sync read, sync write; broadcast ping) and status packets
with checksums (Feetech: inverted byte sum; Dynamixel: CRC-16 and byte stuffing). Each simulated motor has
a control table in memory (layouts from `<vendor>/tables.py`), a physical shaft position, homing offset,
position limits, torque, a baud rate and simple dynamics: with torque on, the shaft moves towards the goal
at `max_speed` ticks/s; with torque off it stays where it is (or where a test/user "moves it by hand").
Faults can be injected: dropped status packets (the SDK times out) and corrupt checksums.

Run it for a try without hardware; it prints the port to give to `--robot.port`:

    python -m lerobot.motors.sim_bus --robot so100_follower
    python -m lerobot.motors.sim_bus --motors 1:xl430-w250,2:xl330-m288 --corrupt-rate 0.05

then type `sweep` in its terminal when `lerobot-calibrate` asks you to move the joints through their range
(`set <id> <ticks>` moves one shaft, `show` prints them). `SimulatedUser` plays that person for
`control_robot.py --robot.mock=true`.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import sys
import termios
import threading
import time
import tty
from dataclasses import dataclass, field

from lerobot.motors.dynamixel import tables as dxl_tables
from lerobot.motors.feetech import tables as ft_tables
from lerobot.utils.cli import ArgumentParser, command

FEETECH, DYNAMIXEL = "feetech", "dynamixel"
BROADCAST_ID = 0xFE
INST_PING, INST_READ, INST_WRITE, INST_SYNC_READ, INST_SYNC_WRITE = 0x01, 0x02, 0x03, 0x82, 0x83
DXL_STATUS = 0x55
DXL_ERR_INSTRUCTION, DXL_ERR_ACCESS = 0x02, 0x07
FT_ERR_INSTRUCTION = 0x40

# Motors of the robots in this package, for `--robot`.
ROBOT_PRESETS: dict[str, list[tuple[int, str]]] = {
    "so100_follower": [(i, "sts3215") for i in range(1, 7)],
    "so100_leader": [(i, "sts3215") for i in range(1, 7)],
    "koch_follower": [(1, "xl430-w250"), (2, "xl430-w250")] + [(i, "xl330-m288") for i in range(3, 7)],
    "koch_leader": [(i, "xl330-m077") for i in range(1, 7)],
    "lekiwi": [(i, "sts3215") for i in range(1, 10)],
    "viperx": [(i, "xm540-w270") for i in range(1, 8)] + [(8, "xm430-w350"), (9, "xm430-w350")],
    "widowx": [(i, "xm430-w350") for i in range(1, 8)] + [(8, "xl430-w250"), (9, "xc430-w150")],
}
# Robots made of several buses: robot type -> the arm preset of each bus.
MULTI_BUS_PRESETS: dict[str, dict[str, str]] = {
    "aloha": {"left": "viperx", "right": "viperx"},
    "aloha_leader": {"left": "widowx", "right": "widowx"},
}


def vendor_of(model: str) -> str:
    if model in ft_tables.MODEL_CONTROL_TABLE:
        return FEETECH
    if model in dxl_tables.MODEL_CONTROL_TABLE:
        return DYNAMIXEL
    known = sorted(ft_tables.MODEL_CONTROL_TABLE) + sorted(dxl_tables.MODEL_CONTROL_TABLE)
    raise ValueError(f"Unknown motor model '{model}'; known models: {known}.")


def dxl_crc(data: bytes | bytearray) -> int:
    """CRC-16 (polynomial 0x8005) of Dynamixel protocol 2.0."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def ft_checksum(body: bytes | bytearray) -> int:
    return ~sum(body) & 0xFF


def _stuff(payload: bytes) -> bytes:
    """Dynamixel byte stuffing: FF FF FD -> FF FF FD FD inside a packet body."""
    out = bytearray()
    for b in payload:
        out.append(b)
        if b == 0xFD and len(out) >= 3 and out[-3:-1] == b"\xff\xff":
            out.append(0xFD)
    return bytes(out)


def _unstuff(payload: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(payload):
        out.append(payload[i])
        if (
            payload[i] == 0xFD
            and len(out) >= 3
            and out[-3:-1] == b"\xff\xff"
            and payload[i + 1 : i + 2] == b"\xfd"
        ):
            i += 1
        i += 1
    return bytes(out)


@dataclass
class SimMotor:
    """One servo: control table memory + shaft state."""

    id: int
    model: str
    baudrate: int = 1_000_000
    position: float = 2048.0  # physical shaft position in ticks
    max_speed: float = 20_000.0  # ticks per second with torque on
    mem: bytearray = field(default_factory=lambda: bytearray(256))
    last_update: float = field(default_factory=time.monotonic)
    goal_log: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self):
        self.vendor = vendor_of(self.model)
        if self.vendor == FEETECH:
            self.table, self.baud_table = (
                ft_tables.MODEL_CONTROL_TABLE[self.model],
                ft_tables.STS_SMS_SERIES_BAUDRATE_TABLE,
            )
            self.resolution = ft_tables.MODEL_RESOLUTION[self.model]
            self.eeprom_end = ft_tables.EEPROM_END_ADDRESS
            number = ft_tables.MODEL_NUMBER[self.model]
            if ft_tables.MODEL_PROTOCOL[self.model] != 0:
                raise ValueError(
                    f"The simulated bus speaks Feetech protocol 0 only; '{self.model}' uses protocol 1."
                )
        else:
            self.table, self.baud_table = (
                dxl_tables.MODEL_CONTROL_TABLE[self.model],
                dxl_tables.X_SERIES_BAUDRATE_TABLE,
            )
            self.resolution = dxl_tables.MODEL_RESOLUTION[self.model]
            self.eeprom_end = dxl_tables.EEPROM_END_ADDRESS
            number = dxl_tables.MODEL_NUMBER[self.model]
        baud_values = {v: k for k, v in self.baud_table.items()}
        if self.baudrate not in baud_values:
            raise ValueError(
                f"Baud rate {self.baudrate} is not valid for {self.model}: {sorted(baud_values)}"
            )
        self.set("Model_Number", number)
        self.set("ID", self.id)
        self.set("Baud_Rate", baud_values[self.baudrate])
        self.set("Max_Position_Limit", self.resolution - 1)
        if self.vendor == FEETECH:
            self.set("Lock", 1)
            self.set("Present_Voltage", 120)
            self.set("Present_Temperature", 30)
            self.set("P_Coefficient", 32)
        else:
            self.set("Firmware_Version", 48)
            self.set("Secondary_ID", 255)  # 255 = no secondary id
            self.set("Operating_Mode", 3)
            self.set("Return_Delay_Time", 250)
            self.set("Present_Input_Voltage", 50)
            self.set("Present_Temperature", 30)
        self.set_goal_raw(int(self.present_raw()))

    # -- raw memory
    def get(self, name: str) -> int:
        addr, size = self.table[name]
        return int.from_bytes(self.mem[addr : addr + size], "little")

    def set(self, name: str, value: int) -> None:
        addr, size = self.table[name]
        self.mem[addr : addr + size] = (value % (1 << (8 * size))).to_bytes(size, "little")

    def _signed(self, name: str) -> int:
        v, size = self.get(name), self.table[name][1]
        if self.vendor == FEETECH:
            bit = ft_tables.MODEL_ENCODING_TABLE[self.model].get(name)
            return -(v & ~(1 << bit)) if bit is not None and v & (1 << bit) else v
        return v - (1 << (8 * size)) if name in dxl_tables.SIGNED_REGISTERS and v >> (8 * size - 1) else v

    # -- shaft <-> registers
    @property
    def torque(self) -> bool:
        return self.get("Torque_Enable") == 1

    def present_raw(self) -> int:
        offset = self._signed("Homing_Offset")
        if self.vendor == FEETECH:
            return (round(self.position) - offset) % self.resolution
        raw = round(self.position) + offset
        return raw if self.get("Operating_Mode") == 4 else raw % self.resolution

    def set_present_raw(self, raw: int) -> None:
        """Move the shaft (by hand) so that Present_Position reads `raw`."""
        offset = self._signed("Homing_Offset")
        self.position = float(raw + offset if self.vendor == FEETECH else raw - offset)

    def goal_physical(self) -> float:
        goal = self._signed("Goal_Position")
        lo, hi = self.get("Min_Position_Limit"), self.get("Max_Position_Limit")
        clamp = self.vendor == FEETECH or self.get("Operating_Mode") == 3
        if clamp and hi > lo:
            goal = min(max(goal, lo), hi)
        offset = self._signed("Homing_Offset")
        return float(goal + offset if self.vendor == FEETECH else goal - offset)

    def set_goal_raw(self, raw: int) -> None:
        if self.vendor == FEETECH:
            self.set("Goal_Position", raw if raw >= 0 else (-raw | (1 << 15)))
        else:
            self.set("Goal_Position", raw)

    def step(self, now: float) -> None:
        dt, self.last_update = now - self.last_update, now
        if self.torque and self.get("Operating_Mode") == 1:  # velocity mode (both vendors use 1)
            velocity = self._signed("Goal_Velocity")
            ticks_per_s = velocity if self.vendor == FEETECH else velocity * 0.229 * self.resolution / 60
            self.position += ticks_per_s * dt
            self.set(
                "Present_Velocity",
                velocity if velocity >= 0 or self.vendor == DYNAMIXEL else (-velocity | 1 << 15),
            )
            self.set("Moving", int(velocity != 0))
        elif self.torque:
            target = self.goal_physical()
            delta = max(-self.max_speed * dt, min(self.max_speed * dt, target - self.position))
            self.position += delta
            self.set("Moving", int(abs(target - self.position) > 1))
        else:
            self.set("Moving", 0)
        self.set("Present_Position", self.present_raw())

    def write(self, addr: int, data: bytes) -> int:
        """Write bytes at `addr`; returns the status error byte."""
        if addr + len(data) > len(self.mem):
            return DXL_ERR_ACCESS if self.vendor == DYNAMIXEL else FT_ERR_INSTRUCTION
        torque_addr = self.table["Torque_Enable"][0]
        if self.vendor == DYNAMIXEL and self.torque and addr < self.eeprom_end and addr != torque_addr:
            return DXL_ERR_ACCESS  # EEPROM is locked while torque is on
        was_on = self.torque
        self.mem[addr : addr + len(data)] = data
        if addr == self.table["Goal_Position"][0]:
            # (goal, present) of every goal command, in raw ticks: lets tests check what was commanded.
            self.goal_log.append((self._signed("Goal_Position"), self.present_raw()))
        if self.torque and not was_on:
            self.last_update = time.monotonic()
        return 0


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
        self.corrupt_rate, self.drop_rate = corrupt_rate, drop_rate
        self._rng = random.Random(seed)
        self._faults: list[tuple[str, int | None, str | None]] = []  # (kind, motor id, register)
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
        if kind not in ("timeout", "corrupt"):
            raise ValueError(f"Unknown fault kind '{kind}': use 'timeout' or 'corrupt'.")
        with self._lock:
            self._faults.extend([(kind, motor_id, register)] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

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
        parse = self._parse_feetech if self.vendor == FEETECH else self._parse_dynamixel
        while True:
            packet = parse()
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

    # -- packet framing
    def _parse_feetech(self) -> tuple[int, int, bytes] | None:
        buf = self._buf
        while True:
            start = buf.find(b"\xff\xff")
            if start < 0:
                del buf[: max(len(buf) - 1, 0)]
                return None
            del buf[:start]
            if len(buf) < 4:
                return None
            length = buf[3]
            if len(buf) < 4 + length:
                return None
            packet = bytes(buf[: 4 + length])
            if length < 2 or ft_checksum(packet[2:-1]) != packet[-1]:
                del buf[:2]  # not a valid packet: resynchronise on the next header
                continue
            del buf[: 4 + length]
            return packet[2], packet[4], packet[5:-1]

    def _parse_dynamixel(self) -> tuple[int, int, bytes] | None:
        buf = self._buf
        while True:
            start = buf.find(b"\xff\xff\xfd\x00")
            if start < 0:
                del buf[: max(len(buf) - 3, 0)]
                return None
            del buf[:start]
            if len(buf) < 7:
                return None
            length = buf[5] | (buf[6] << 8)
            if len(buf) < 7 + length:
                return None
            packet = bytes(buf[: 7 + length])
            if length < 3 or dxl_crc(packet[:-2]) != (packet[-2] | (packet[-1] << 8)):
                del buf[:4]
                continue
            del buf[: 7 + length]
            body = _unstuff(packet[7:-2])
            return packet[4], body[0], body[1:]

    def _status(self, m: SimMotor, error: int, params: bytes, addr: int | None) -> None:
        fault = self._take_fault(m, addr)
        if fault == "timeout" or (fault is None and self.drop_rate and self._rng.random() < self.drop_rate):
            return
        if self.vendor == FEETECH:
            body = bytes([m.id, len(params) + 2, error]) + params
            packet = b"\xff\xff" + body + bytes([ft_checksum(body)])
        else:
            body = _stuff(bytes([DXL_STATUS, error]) + params)
            head = b"\xff\xff\xfd\x00" + bytes([m.id]) + (len(body) + 2).to_bytes(2, "little")
            crc = dxl_crc(head + body)
            packet = head + body + crc.to_bytes(2, "little")
        if fault == "corrupt" or (
            fault is None and self.corrupt_rate and self._rng.random() < self.corrupt_rate
        ):
            packet = packet[:-1] + bytes([packet[-1] ^ 0x5A])
        os.write(self._master, packet)

    def _take_fault(self, m: SimMotor, addr: int | None) -> str | None:
        for i, (kind, motor_id, register) in enumerate(self._faults):
            if motor_id not in (None, m.id):
                continue
            if register is not None and (addr is None or m.table.get(register, (-1,))[0] != addr):
                continue
            del self._faults[i]
            return kind
        return None

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


def parse_motors(spec: str) -> list[tuple[int, str]]:
    out = []
    for item in spec.split(","):
        motor_id, sep, model = item.partition(":")
        if not sep or not motor_id.strip().isdigit():
            raise ValueError(f"--motors item '{item}' must be '<id>:<model>', e.g. '1:sts3215'.")
        out.append((int(motor_id), model.strip()))
    return out


class SimulatedUser:
    """An `input_fn` playing the person at simulated arms (`--robot.mock=true`): it answers ENTER to every
    prompt (reuse a calibration file; the "middle" pose is wherever the shafts are) and, when calibration
    asks to move the joints of `<id> <Device>` through their entire range, sweeps the bus registered for that
    id (`buses`: device id -> bus; with a single bus, that one). Each prompt is echoed with what it did."""

    def __init__(self, buses: dict[str, SimulatedServoBus], echo=print):
        self.buses = buses
        self.echo = echo

    def bus_for(self, prompt: str) -> SimulatedServoBus:
        named = [i for i in self.buses if f"{i} " in prompt]
        if named:
            return self.buses[max(named, key=len)]
        if len(self.buses) == 1:
            return next(iter(self.buses.values()))
        raise ValueError(
            f"The simulated user cannot tell which of {sorted(self.buses)} this prompt is for: {prompt!r}"
        )

    def __call__(self, prompt: str) -> str:
        if "entire range of motion" in prompt:
            bus = self.bus_for(prompt)
            self.echo(f"{prompt}\n  [simulated user] sweeping the joints on {bus.port}, then ENTER")
            bus.sweep()
        else:
            self.echo(f"{prompt}\n  [simulated user] ENTER")
        return ""


COMMANDS_HELP = """Commands (type them here, then ENTER), e.g. while `lerobot-calibrate` asks you to move the joints:
  sweep [side]                  move every joint by hand through its range (as calibration asks)
  set <id> <ticks> [side]       move one shaft by hand to a Present_Position
  show [side]                   print each motor's present position and torque"""


def run_command(line: str, buses: dict[str, SimulatedServoBus], out=print) -> None:
    """One line of the interactive console of `python -m lerobot.motors.sim_bus` (see COMMANDS_HELP)."""
    words = line.split()
    if not words:
        return
    cmd, args = words[0], words[1:]
    side = args.pop() if args and args[-1] in buses and args[-1] else ("" if "" in buses else None)
    if cmd not in ("sweep", "set", "show") or (cmd == "set" and len(args) != 2) or (cmd != "set" and args):
        out(f"unknown command {line.strip()!r}\n{COMMANDS_HELP}")
        return
    if side is None:
        out(f"name the bus: one of {sorted(buses)}")
        return
    bus = buses[side]
    try:
        if cmd == "sweep":
            bus.sweep()
            out(f"swept {sorted(bus.motors)}")
        elif cmd == "set":
            bus.set_present(int(args[0]), int(args[1]))
            out(f"motor {args[0]} at {bus.present(int(args[0]))}")
        else:
            for motor_id in sorted(bus.motors):
                out(
                    f"motor {motor_id}: position {bus.present(motor_id)}, torque {bus.torque_enabled(motor_id)}"
                )
    except (ValueError, KeyError) as e:
        out(f"error: {e}")


@command("python -m lerobot.motors.sim_bus")
def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(prog="python -m lerobot.motors.sim_bus", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--robot",
        choices=sorted({**ROBOT_PRESETS, **MULTI_BUS_PRESETS}),
        help="motors of a robot/teleoperator (two-arm devices get one bus per arm)",
    )
    group.add_argument("--motors", help="comma-separated '<id>:<model>' list, e.g. 1:sts3215,2:sts3215")
    parser.add_argument("--corrupt-rate", type=float, default=0.0, help="share of corrupt status packets")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of dropped status packets")
    parser.add_argument("--seed", type=int, default=0, help="seed of the corrupt/drop draws")
    args = parser.parse_args(argv)
    if args.robot in MULTI_BUS_PRESETS:
        arms = {side: ROBOT_PRESETS[preset] for side, preset in MULTI_BUS_PRESETS[args.robot].items()}
    else:
        arms = {"": ROBOT_PRESETS[args.robot] if args.robot else parse_motors(args.motors)}
    buses = {}
    for i, (side, models) in enumerate(arms.items()):
        kwargs = {"seed": args.seed + i, "corrupt_rate": args.corrupt_rate, "drop_rate": args.drop_rate}
        buses[side] = SimulatedServoBus.from_models(models, **kwargs)
        print(f"{side} {buses[side].port}" if side else buses[side].port, flush=True)
    try:
        for bus in buses.values():
            bus.start()
        if sys.stdin is not None and sys.stdin.isatty():
            print(COMMANDS_HELP, flush=True)
        for line in sys.stdin if sys.stdin is not None else ():  # ends at EOF (stdin closed or not a tty)
            run_command(line, buses, lambda text: print(text, flush=True))
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for bus in buses.values():
            bus.stop()


if __name__ == "__main__":
    main()
