"""Fault injection of the simulated bus: dropped status packets (the SDK times out) and corrupt checksums.

Queued faults (`inject`) hit the next status packets of a motor (any motor if None), optionally only those
answering a request at one register's address; random faults hit a share of all status packets
(`corrupt_rate`, `drop_rate`), drawn from a seeded generator.
"""

from __future__ import annotations

import random
from typing import Protocol


class _Motor(Protocol):
    id: int
    table: dict[str, tuple[int, int]]


class Faults:
    KINDS = ("timeout", "corrupt")

    def __init__(self, seed: int = 0, corrupt_rate: float = 0.0, drop_rate: float = 0.0):
        self.corrupt_rate, self.drop_rate = corrupt_rate, drop_rate
        self._rng = random.Random(seed)
        self._queued: list[tuple[str, int | None, str | None]] = []  # (kind, motor id, register)

    def inject(self, kind: str, motor_id: int | None = None, count: int = 1, register: str | None = None):
        if kind not in self.KINDS:
            raise ValueError(f"Unknown fault kind '{kind}': use 'timeout' or 'corrupt'.")
        self._queued.extend([(kind, motor_id, register)] * count)

    def clear(self) -> None:
        self._queued.clear()

    def take(self, m: _Motor, addr: int | None) -> str | None:
        """The queued fault that hits this status packet of motor `m` (answering address `addr`), removed."""
        for i, (kind, motor_id, register) in enumerate(self._queued):
            if motor_id not in (None, m.id):
                continue
            if register is not None and (addr is None or m.table.get(register, (-1,))[0] != addr):
                continue
            del self._queued[i]
            return kind
        return None

    def for_status(self, m: _Motor, addr: int | None) -> tuple[bool, bool]:
        """(drop the status packet, corrupt it): a queued fault first, else the random rates."""
        fault = self.take(m, addr)
        if fault == "timeout" or (fault is None and self.drop_rate and self._rng.random() < self.drop_rate):
            return True, False
        corrupt = fault == "corrupt" or (
            fault is None and bool(self.corrupt_rate) and self._rng.random() < self.corrupt_rate
        )
        return False, corrupt
