"""Read back an offline W&B run (`<dir>/wandb/offline-run-*/run-<id>.wandb`) without the network.

The `.wandb` file is W&B's transaction log: a 7-byte header (":W&B", magic 0xBEE1, version 0), then
LevelDB-log framing (32 KiB blocks, each record chunk prefixed by crc32c (4 bytes), length (2) and type
(1: full, 2: first, 3: middle, 4: last); a block tail shorter than a header is zero padding) around
protobuf `Record` messages of `wandb.proto.wandb_internal_pb2`.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

BLOCK = 32 * 1024
HEADER = struct.Struct("<IHB")
FILE_HEADER = struct.Struct("<4sHB")


def read_records(path: Path) -> list:
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    ident, magic, version = FILE_HEADER.unpack_from(data, 0)
    assert (ident, magic, version) == (b":W&B", 0xBEE1, 0), (ident, magic, version)
    pos, records, pending = FILE_HEADER.size, [], b""
    while pos + HEADER.size <= len(data):
        left_in_block = BLOCK - pos % BLOCK
        if left_in_block < HEADER.size:
            pos += left_in_block
            continue
        _crc, length, kind = HEADER.unpack_from(data, pos)
        chunk = data[pos + HEADER.size : pos + HEADER.size + length]
        pos += HEADER.size + length
        if kind == 0 and length == 0:
            break
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def history(run_dir: Path) -> list[dict]:
    """The `wandb.log` rows of the run: {key: value} per row (values json-decoded)."""
    (log,) = Path(run_dir).glob("run-*.wandb")
    rows = []
    for record in read_records(log):
        if record.WhichOneof("record_type") == "history":
            row = {}
            for item in record.history.item:
                key = item.key or "/".join(item.nested_key)
                row[key] = json.loads(item.value_json)
            rows.append(row)
    return rows
