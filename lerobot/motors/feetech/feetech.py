"""Feetech STS/SMS (protocol 0, little endian) and SCS (protocol 1, big endian) buses over `scservo_sdk`.

Conventions of these servos that the bus encodes:
- signed registers use sign-magnitude (`MODEL_ENCODING_TABLE`: index of the sign bit);
- `Present_Position = physical - Homing_Offset` (so the half-turn homing is `position - half_turn`);
- EEPROM writes need torque off and `Lock = 0`; torque-on sets `Lock = 1` again.
- the SDK keeps its endianness in a module global, so one process talks to one protocol at a time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from lerobot.motors.feetech.tables import (
    EEPROM_END_ADDRESS,
    MODEL_BAUDRATE_TABLE,
    MODEL_CONTROL_TABLE,
    MODEL_ENCODING_TABLE,
    MODEL_NUMBER,
    MODEL_PROTOCOL,
    MODEL_RESOLUTION,
    OPERATING_MODES,
)
from lerobot.motors.motor import Motor, MotorCalibration
from lerobot.motors.motors_bus import MotorsBus


def encode_sign_magnitude(value: int, sign_bit: int) -> int:
    limit = (1 << sign_bit) - 1
    if abs(value) > limit:
        raise ValueError(
            f"{value} does not fit in sign-magnitude with the sign at bit {sign_bit} (|v| <= {limit})"
        )
    return (-value | (1 << sign_bit)) if value < 0 else value


def decode_sign_magnitude(value: int, sign_bit: int) -> int:
    return -(value & ~(1 << sign_bit)) if value & (1 << sign_bit) else value


class FeetechMotorsBus(MotorsBus):
    vendor = "feetech"
    model_ctrl_table = MODEL_CONTROL_TABLE
    model_resolution = MODEL_RESOLUTION
    model_number_table = MODEL_NUMBER
    model_baudrate_table = MODEL_BAUDRATE_TABLE
    operating_modes = OPERATING_MODES
    eeprom_end_address = EEPROM_END_ADDRESS
    default_baudrate = 1_000_000

    def __init__(
        self,
        port: str,
        motors: dict[str, Motor],
        calibration: dict[str, MotorCalibration] | None = None,
        num_retries: int | None = None,
    ):
        super().__init__(port, motors, calibration, num_retries)
        protocols = {MODEL_PROTOCOL[m.model] for m in self.motors.values()}
        if len(protocols) != 1:
            raise ValueError(
                f"FeetechMotorsBus on {port}: models {sorted({m.model for m in motors.values()})} mix "
                "protocol 0 (STS/SMS) and protocol 1 (SCS); put them on separate buses."
            )
        self.protocol_version = protocols.pop()

    def _import_sdk(self) -> Any:
        try:
            import scservo_sdk
        except ImportError as e:
            raise ImportError(
                "FeetechMotorsBus needs the Feetech SDK: pip install 'lerobot[feetech]' (feetech-servo-sdk)."
            ) from e
        return scservo_sdk

    def _make_packet_handler(self) -> Any:
        return self._sdk.PacketHandler(self.protocol_version)

    def _encode(self, register: str, model: str, value: int) -> int:
        sign_bit = MODEL_ENCODING_TABLE[model].get(register)
        return encode_sign_magnitude(value, sign_bit) if sign_bit is not None else value

    def _decode(self, register: str, model: str, value: int) -> int:
        sign_bit = MODEL_ENCODING_TABLE[model].get(register)
        return decode_sign_magnitude(value, sign_bit) if sign_bit is not None else value

    def _to_bytes(self, value: int, size: int) -> list[int]:
        data = [(value >> (8 * i)) & 0xFF for i in range(size)]
        # Protocol 1 (SCS) is big endian within each 16-bit word.
        return (
            data
            if self.protocol_version == 0
            else [b for i in range(0, size, 2) for b in data[i : i + 2][::-1]]
        )

    def _from_bytes(self, data: list[int]) -> int:
        if self.protocol_version == 1:
            data = [b for i in range(0, len(data), 2) for b in data[i : i + 2][::-1]]
        return sum(b << (8 * i) for i, b in enumerate(data))

    def _half_turn_homings(self, positions: dict[str, int]) -> dict[str, int]:
        out = {}
        for n, pos in positions.items():
            half_turn = self.model_resolution[self.motors[n].model] // 2 - 1
            out[n] = pos - half_turn
        return out

    def disable_torque(
        self, motors: str | Iterable[str] | None = None, num_retries: int | None = None
    ) -> None:
        for n in self._names(motors):
            self.write("Torque_Enable", n, 0, num_retries=num_retries)
            self.write("Lock", n, 0, num_retries=num_retries)

    def enable_torque(
        self, motors: str | Iterable[str] | None = None, num_retries: int | None = None
    ) -> None:
        for n in self._names(motors):
            self.write("Torque_Enable", n, 1, num_retries=num_retries)
            self.write("Lock", n, 1, num_retries=num_retries)

    def configure_motors(self, return_delay_time: int = 0, acceleration: int = 254) -> None:
        """Fast replies (no return delay) and the highest acceleration; call with torque off."""
        for n in self.motors:
            self.write("Return_Delay_Time", n, return_delay_time)
            if "Maximum_Acceleration" in self.model_ctrl_table[self.motors[n].model]:
                self.write("Maximum_Acceleration", n, acceleration)
            self.write("Acceleration", n, acceleration)

    def broadcast_ping(self, timeout_s: float = 0.05) -> dict[int, int]:
        """Send a ping to the broadcast id and collect every status packet; then read model numbers.

        The SDK has no broadcast ping for protocol 0, so this builds the packet with the SDK's `txPacket`
        and parses status packets with its `rxPacket` until the bus is silent.
        """
        sdk = self._sdk
        txpacket = [0xFF, 0xFF, sdk.BROADCAST_ID, 2, sdk.INST_PING, 0]
        if self.packet_handler.txPacket(self.port_handler, txpacket) != sdk.COMM_SUCCESS:
            self.port_handler.is_using = False
            return {}
        ids = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.port_handler.setPacketTimeoutMillis(timeout_s * 1000)
            rxpacket, result = self.packet_handler.rxPacket(self.port_handler)
            if result == sdk.COMM_SUCCESS:
                ids.append(rxpacket[2])
            elif result == sdk.COMM_RX_TIMEOUT:
                break
        self.port_handler.is_using = False
        found = {}
        for motor_id in ids:
            data, comm, error = self.packet_handler.readTxRx(self.port_handler, motor_id, 3, 2)
            if comm == sdk.COMM_SUCCESS and error == 0:
                found[motor_id] = self._from_bytes(data)
        return found
