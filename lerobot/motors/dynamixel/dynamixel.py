"""Dynamixel X-series bus over `dynamixel_sdk` (protocol 2.0).

Conventions of these servos that the bus encodes:
- signed registers are two's complement (`SIGNED_REGISTERS`);
- `Present_Position = physical + Homing_Offset` (so the half-turn homing is `half_turn - position`);
- EEPROM registers (address < 64) are writable only with torque off.
"""

from __future__ import annotations

from typing import Any

from lerobot.motors.dynamixel.tables import (
    EEPROM_END_ADDRESS,
    MODEL_BAUDRATE_TABLE,
    MODEL_CONTROL_TABLE,
    MODEL_NUMBER,
    MODEL_RESOLUTION,
    OPERATING_MODES,
    SIGNED_REGISTERS,
)
from lerobot.motors.motors_bus import MotorsBus

PROTOCOL_VERSION = 2.0


class DynamixelMotorsBus(MotorsBus):
    vendor = "dynamixel"
    model_ctrl_table = MODEL_CONTROL_TABLE
    model_resolution = MODEL_RESOLUTION
    model_number_table = MODEL_NUMBER
    model_baudrate_table = MODEL_BAUDRATE_TABLE
    operating_modes = OPERATING_MODES
    eeprom_end_address = EEPROM_END_ADDRESS
    default_baudrate = 1_000_000
    factory_baudrate = 57_600

    def _import_sdk(self) -> Any:
        try:
            import dynamixel_sdk
        except ImportError as e:
            raise ImportError(
                "DynamixelMotorsBus needs the ROBOTIS SDK: pip install 'lerobot[dynamixel]' (dynamixel-sdk)."
            ) from e
        return dynamixel_sdk

    def _make_packet_handler(self) -> Any:
        return self._sdk.PacketHandler(PROTOCOL_VERSION)

    def _size(self, register: str, model: str) -> int:
        return self.model_ctrl_table[model][register][1]

    def _encode(self, register: str, model: str, value: int) -> int:
        if register in SIGNED_REGISTERS and value < 0:
            return value + (1 << (8 * self._size(register, model)))
        return value

    def _decode(self, register: str, model: str, value: int) -> int:
        bits = 8 * self._size(register, model)
        if register in SIGNED_REGISTERS and value & (1 << (bits - 1)):
            return value - (1 << bits)
        return value

    def _to_bytes(self, value: int, size: int) -> list[int]:
        return [(value >> (8 * i)) & 0xFF for i in range(size)]

    def _from_bytes(self, data: list[int]) -> int:
        return sum(b << (8 * i) for i, b in enumerate(data))

    def _half_turn_homings(self, positions: dict[str, int]) -> dict[str, int]:
        out = {}
        for n, pos in positions.items():
            half_turn = self.model_resolution[self.motors[n].model] // 2 - 1
            out[n] = half_turn - pos
        return out

    def configure_motors(self, return_delay_time: int = 0) -> None:
        """No return delay (the default 250 us slows every sync read); call with torque off."""
        for n in self.motors:
            self.write("Return_Delay_Time", n, return_delay_time)

    def broadcast_ping(self, timeout_s: float = 0.1) -> dict[int, int]:
        """Ping the broadcast id and collect status packets until the bus stays silent for `timeout_s`.

        The SDK's `broadcastPing` always waits for 252 reply slots (~0.8 s per baud rate); motors being set
        up answer in the first slots, so this stops after `timeout_s` without a new status packet.
        """
        sdk = self._sdk
        txpacket = [0] * 10
        txpacket[4], txpacket[5], txpacket[6], txpacket[7] = sdk.BROADCAST_ID, 3, 0, sdk.INST_PING
        if self.packet_handler.txPacket(self.port_handler, txpacket) != sdk.COMM_SUCCESS:
            self.port_handler.is_using = False
            return {}
        found = {}
        while True:
            self.port_handler.setPacketTimeoutMillis(timeout_s * 1000)
            rxpacket, result = self.packet_handler.rxPacket(self.port_handler, False)
            if result == sdk.COMM_SUCCESS:
                found[rxpacket[4]] = rxpacket[9] | (rxpacket[10] << 8)
            elif result == sdk.COMM_RX_TIMEOUT:
                break
        self.port_handler.is_using = False
        return found
