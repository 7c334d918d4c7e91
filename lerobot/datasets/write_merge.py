"""File streams of the v3.0 writer and their amortized merging (the design is in `lerobot.datasets.writer`).

A *stream* is one family of size-limited files: the data parquet files, the episodes-table parquet files,
or one camera's mp4 files. Its files are numbered by a linear index `li` (chunk, file = divmod(li,
chunks_size)). Files before the head are sealed (never touched again). The *head* holds the episodes merged
so far in this session; each *tail* file holds exactly one episode saved since the last merge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


@dataclass
class StreamFile:
    li: int
    episodes: list[int]
    size: int  # bytes on disk


@dataclass
class Stream:
    """The open files of one stream: an optional head and the tail files after it."""

    template: str  # relative path template with {chunk_index} and {file_index}
    limit_bytes: float
    chunks_size: int
    fields: dict = field(default_factory=dict)  # other template fields (video_key)
    next_li: int = 0
    head: StreamFile | None = None
    tails: list[StreamFile] = field(default_factory=list)

    def rel(self, li: int) -> str:
        chunk, file = divmod(li, self.chunks_size)
        return self.template.format(**self.fields, chunk_index=chunk, file_index=file)

    def location(self, li: int) -> tuple[int, int]:
        return divmod(li, self.chunks_size)

    def add_tail(self, episode: int, size: int) -> int:
        li = self.next_li
        self.tails.append(StreamFile(li, [episode], size))
        self.next_li = li + 1
        return li

    @property
    def head_episodes(self) -> int:
        return len(self.head.episodes) if self.head is not None else 0

    def pack(
        self, include_head: bool, can_follow: Callable[[StreamFile, StreamFile], bool] | None = None
    ) -> list[tuple[int, list[StreamFile]]]:
        """Output files of a merge: [(li, input files in order)], filled up to the size limit (the
        reference's rule: start a new file when `size + incoming >= limit`)."""
        outputs: list[tuple[int, list[StreamFile]]] = []
        if include_head and self.head is not None:
            li, current, size = self.head.li, [self.head], self.head.size
        else:
            li, current, size = self.tails[0].li, [], 0
        for tail in self.tails:
            if current and (
                size + tail.size >= self.limit_bytes
                or (can_follow is not None and not can_follow(current[-1], tail))
            ):
                outputs.append((li, current))
                li, current, size = li + 1, [], 0
            current.append(tail)
            size += tail.size
        outputs.append((li, current))
        return outputs

    def apply(self, outputs: list[tuple[int, list[StreamFile]]], sizes: dict[int, int]) -> None:
        """After a merge commit: the last output is the new head unless it is full; earlier ones are sealed."""
        li, inputs = outputs[-1]
        episodes = [e for f in inputs for e in f.episodes]
        size = sizes[li]
        self.head = StreamFile(li, episodes, size) if size < self.limit_bytes else None
        self.tails = []
        self.next_li = li + 1


def is_identity(outputs: list[tuple[int, list[StreamFile]]]) -> bool:
    """True when every output is one input file left where it is (nothing to rewrite)."""
    return all(len(inputs) == 1 and inputs[0].li == li for li, inputs in outputs)


def merge_parquet(paths: list[Path], out: Path, schema: pa.Schema) -> None:
    """Write the row groups of `paths`, in order, into `out` (one row group per input row group)."""
    with pq.ParquetWriter(out, schema, compression="snappy") as writer:
        for path in paths:
            pf = pq.ParquetFile(path)
            for i in range(pf.num_row_groups):
                writer.write_table(pf.read_row_group(i).cast(schema))
