"""Motor model of the simulated bus: a servo's control table in memory and its shaft.

Each simulated motor has a control table (layouts from `lerobot/motors/<vendor>/tables.py`), a physical
shaft position, homing offset, position limits, torque, a baud rate and simple dynamics: with torque on,
the shaft moves towards the goal at `max_speed` ticks/s (or at the goal velocity in velocity mode); with
torque off it stays where it is (or where a test/user "moves it by hand").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lerobot.motors.dynamixel import tables as dxl_tables
from lerobot.motors.feetech import tables as ft_tables
from lerobot.motors.sim.codec import DXL_ERR_ACCESS, DYNAMIXEL, FEETECH, FT_ERR_INSTRUCTION


def vendor_of(model: str) -> str:
    if model in ft_tables.MODEL_CONTROL_TABLE:
        return FEETECH
    if model in dxl_tables.MODEL_CONTROL_TABLE:
        return DYNAMIXEL
    known = sorted(ft_tables.MODEL_CONTROL_TABLE) + sorted(dxl_tables.MODEL_CONTROL_TABLE)
    raise ValueError(f"Unknown motor model '{model}'; known models: {known}.")


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
