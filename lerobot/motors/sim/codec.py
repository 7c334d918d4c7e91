"""Packet codec of the simulated bus: Feetech protocol 0 and Dynamixel protocol 2.0, byte for byte.

Feetech packets: `FF FF id len inst params... checksum` (checksum: inverted byte sum). Dynamixel packets:
`FF FF FD 00 id len_lo len_hi inst params... crc_lo crc_hi` (CRC-16, byte stuffing of `FF FF FD`).
`parse_*` take complete instruction packets off the front of a receive buffer; `status_packet` encodes
the answer of one motor.
"""

from __future__ import annotations

FEETECH, DYNAMIXEL = "feetech", "dynamixel"
BROADCAST_ID = 0xFE
INST_PING, INST_READ, INST_WRITE, INST_SYNC_READ, INST_SYNC_WRITE = 0x01, 0x02, 0x03, 0x82, 0x83
DXL_STATUS = 0x55
DXL_ERR_INSTRUCTION, DXL_ERR_ACCESS = 0x02, 0x07
FT_ERR_INSTRUCTION = 0x40


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


def parse_feetech(buf: bytearray) -> tuple[int, int, bytes] | None:
    """Next valid instruction packet of `buf` as (motor id, instruction, params), consumed from `buf`;
    None until a complete one has arrived. Invalid bytes are skipped (resynchronising on a header)."""
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


def parse_dynamixel(buf: bytearray) -> tuple[int, int, bytes] | None:
    """`parse_feetech` for Dynamixel protocol 2.0 packets."""
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


def status_packet(vendor: str, motor_id: int, error: int, params: bytes) -> bytes:
    """The status packet a motor sends back: its id, error byte and `params`."""
    if vendor == FEETECH:
        body = bytes([motor_id, len(params) + 2, error]) + params
        return b"\xff\xff" + body + bytes([ft_checksum(body)])
    body = _stuff(bytes([DXL_STATUS, error]) + params)
    head = b"\xff\xff\xfd\x00" + bytes([motor_id]) + (len(body) + 2).to_bytes(2, "little")
    crc = dxl_crc(head + body)
    return head + body + crc.to_bytes(2, "little")


def corrupt(packet: bytes) -> bytes:
    """The packet with a wrong checksum (its last byte flipped)."""
    return packet[:-1] + bytes([packet[-1] ^ 0x5A])
