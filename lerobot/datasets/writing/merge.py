"""File streams of the v3.0 writer and their amortized merging (the design is in `lerobot.datasets.writing.writer`).

A *stream* is one family of size-limited files: the data parquet files, the episodes-table parquet files,
or one camera's mp4 files. Its files are numbered by a linear index `li` (chunk, file = divmod(li,
chunks_size)). Files before the head are sealed (never touched again). The *head* holds the episodes merged
so far in this session; each *tail* file holds exactly one episode saved since the last merge.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lerobot.datasets.formats.v30 import DATA_PATH, EPISODES_PATH, VIDEO_PATH, episodes_schema, episodes_table
from lerobot.datasets.video_encoding import can_concatenate, concatenate_videos
from lerobot.datasets.writing.commit import _commit
from lerobot.datasets.writing.frames import STAGING_DIR

# Merge when the tail holds MERGE_RATIO x the episodes of the largest head (writing/writer.py docstring).
MERGE_RATIO = 2


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


def _merged_away(stream: Stream, plan: list[tuple[int, list[StreamFile]]]) -> list[str]:
    """Input files of a merge whose index no output re-uses: deleted by the merge's commit."""
    outputs = {li for li, _ in plan}
    return [stream.rel(f.li) for _, inputs in plan for f in inputs if f.li not in outputs]


class TailFiles:
    """The streams of one writer session ("data", "episodes", "videos/<key>"), the episodes-table rows of
    the tail episodes, and the merges that fold the tails into the heads (run on the writer's thread)."""

    def __init__(self, root: Path, info: dict, features: dict[str, dict], data_schema: pa.Schema):
        self.root = Path(root)
        self.features = features
        self._data_schema = data_schema
        chunks, data_limit = info["chunks_size"], info["data_files_size_in_mb"] * 1e6
        self.streams: dict[str, Stream] = {
            "data": Stream(DATA_PATH, data_limit, chunks),
            "episodes": Stream(EPISODES_PATH, data_limit, chunks),  # rolls over as data files (reference)
        }
        for key, ft in features.items():
            if ft["dtype"] == "video":
                limit = info["video_files_size_in_mb"] * 1e6
                self.streams[f"videos/{key}"] = Stream(VIDEO_PATH, limit, chunks, {"video_key": key})
        self._tail_rows: dict[int, dict] = {}

    def stage_episode(
        self, stage: Path, row: dict, table: pa.Table, mp4s: dict[str, Path]
    ) -> tuple[list[tuple[str, str]], tuple[str, str], dict[str, tuple[int, int]], dict]:
        """Write a saved episode's tail files into `stage`: its rows (`table`), one mp4 per camera (the
        episode's encoded `mp4s`, moved) and its episodes-table row (`row` without the file locations).

        Returns (moves of the data and video files, the move of the episodes file, {stream: (index,
        bytes)} of the new tail files, the complete row)."""
        moves, sizes, row = [], {}, dict(row)
        data = self.streams["data"]
        li = data.next_li
        # Tail files are small and short-lived: no column statistics (their footer would outweigh the rows).
        pq.write_table(table, stage / "data.parquet", compression="snappy", write_statistics=False)
        moves.append(("data.parquet", data.rel(li)))
        sizes["data"] = (li, (stage / "data.parquet").stat().st_size)
        row["data/chunk_index"], row["data/file_index"] = data.location(li)
        for key, mp4 in mp4s.items():
            stream, prefix = self.streams[f"videos/{key}"], f"videos/{key}/"
            li = stream.next_li
            staged = stage / f"{key}.mp4"
            ((row[prefix + "from_timestamp"], row[prefix + "to_timestamp"]),) = concatenate_videos(
                [mp4], staged
            )
            mp4.unlink()
            moves.append((staged.name, stream.rel(li)))
            sizes[f"videos/{key}"] = (li, staged.stat().st_size)
            row[prefix + "chunk_index"], row[prefix + "file_index"] = stream.location(li)
        episodes = self.streams["episodes"]
        li = episodes.next_li
        row["meta/episodes/chunk_index"], row["meta/episodes/file_index"] = episodes.location(li)
        table = episodes_table([row], self.features)
        row = {name: row[name] for name in table.column_names}  # the columns' order, as a reader sees them
        # ~80 columns: the stored arrow schema and statistics would make the footer ~30x the row; the
        # schema is the parquet one read back as the same arrow types (tests/datasets/test_write_merging.py)
        pq.write_table(table, stage / "episodes.parquet", store_schema=False, write_statistics=False)
        sizes["episodes"] = (li, (stage / "episodes.parquet").stat().st_size)
        return moves, ("episodes.parquet", episodes.rel(li)), sizes, row

    def continue_after(self, last_row: dict) -> None:
        """Resume: the files of earlier sessions are sealed, new episodes start new files in every stream
        (the reference's rule for data files). `last_row`: the episodes-table row of the last episode."""
        for name, stream in self.streams.items():
            prefix = "meta/episodes/" if name == "episodes" else f"{name}/"
            li = int(last_row[prefix + "chunk_index"]) * stream.chunks_size + int(
                last_row[prefix + "file_index"]
            )
            stream.next_li = li + 1

    def add_episode(self, episode: int, row: dict, sizes: dict[str, tuple[int, int]]) -> None:
        """Record a committed save: its row and, per stream, (index, bytes) of its new tail file."""
        for name, (li, size) in sizes.items():
            assert self.streams[name].add_tail(episode, size) == li
        self._tail_rows[episode] = row

    def maybe_merge(self, final: bool) -> tuple[dict[str, int], dict[int, dict]] | None:
        """Merge the tail files into the heads when the tail holds MERGE_RATIO x the largest head's episodes
        (amortized: each merge copies at most (1 + 1/MERGE_RATIO) x the tail). At `finalize()` the tail is
        always merged, into the head only where the head is not larger than the tail (otherwise into new
        files after the head), so that finalize copies at most about the tail once more.

        Returns None when nothing was rewritten, else (bytes written by destination, the new rows of the
        moved episodes)."""
        streams = self.streams
        n_tail = len(streams["data"].tails)
        if n_tail == 0:
            return None
        largest_head = max(s.head_episodes for s in streams.values())
        if not final and n_tail < MERGE_RATIO * largest_head:
            return None
        include = {name: (not final) or s.head_episodes <= n_tail for name, s in streams.items()}
        plans = {}
        for name, stream in streams.items():
            follow = self._video_can_follow(stream) if name.startswith("videos/") else None
            plans[name] = stream.pack(include[name], follow)
        if all(is_identity(p) for p in plans.values()):
            for name, stream in streams.items():  # nothing moves: the tail files become the heads
                stream.apply(plans[name], {f.li: f.size for _, inputs in plans[name] for f in inputs})
            self._tail_rows.clear()
            return None
        return self._merge(plans)

    def _video_can_follow(self, stream: Stream):
        root = self.root
        return lambda a, b: can_concatenate(root / stream.rel(a.li), root / stream.rel(b.li))

    def _merge(
        self, plans: dict[str, list[tuple[int, list[StreamFile]]]]
    ) -> tuple[dict[str, int], dict[int, dict]]:
        """One crash-safe commit that rewrites the planned outputs, the rows of the moved (tail) episodes
        and deletes the merged-away tail files."""
        streams, root = self.streams, self.root
        tail_eps = [f.episodes[0] for f in streams["data"].tails]
        stage = root / STAGING_DIR / f"merge-{tail_eps[-1]:06d}"
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)
        moves: list[tuple[str, str]] = []
        deletes: list[str] = []
        sizes: dict[str, dict[int, int]] = {}
        rows = {e: dict(self._tail_rows[e]) for e in tail_eps}
        for name, plan in plans.items():
            if name == "episodes":
                continue
            stream, sizes[name] = streams[name], {}
            prefix = "data/" if name == "data" else f"{name}/"
            for li, inputs in plan:
                tails = [f for f in inputs if f is not stream.head]
                if len(inputs) == 1 and inputs[0].li == li:
                    sizes[name][li] = inputs[0].size
                    spans = None
                else:
                    staged = stage / f"{name.replace('/', '_')}-{li}{Path(stream.template).suffix}"
                    paths = [root / stream.rel(f.li) for f in inputs]
                    if name == "data":
                        merge_parquet(paths, staged, self._data_schema)
                        spans = None
                    else:
                        spans = concatenate_videos(paths, staged)[-len(tails) :]
                    moves.append((staged.name, stream.rel(li)))
                    sizes[name][li] = staged.stat().st_size
                chunk, file = stream.location(li)
                for i, f in enumerate(tails):
                    row = rows[f.episodes[0]]
                    row[prefix + "chunk_index"], row[prefix + "file_index"] = chunk, file
                    if spans is not None:
                        row[prefix + "from_timestamp"], row[prefix + "to_timestamp"] = spans[i]
            deletes += _merged_away(stream, plan)
        # The episodes table: head rows as they are on disk, then the (updated) tail rows.
        stream, sizes["episodes"] = streams["episodes"], {}
        schema = episodes_schema(self.features)
        for li, inputs in plans["episodes"]:
            tails = [f for f in inputs if f is not stream.head]
            chunk, file = stream.location(li)
            for f in tails:
                rows[f.episodes[0]]["meta/episodes/chunk_index"] = chunk
                rows[f.episodes[0]]["meta/episodes/file_index"] = file
            if not tails:
                sizes["episodes"][li] = inputs[0].size
                continue
            parts = [pq.read_table(root / stream.rel(f.li)).cast(schema) for f in inputs if f is stream.head]
            parts.append(episodes_table([rows[f.episodes[0]] for f in tails], self.features))
            staged = stage / f"episodes-{li}.parquet"
            pq.write_table(pa.concat_tables(parts), staged)
            moves.append((staged.name, stream.rel(li)))
            sizes["episodes"][li] = staged.stat().st_size
        deletes += _merged_away(stream, plans["episodes"])
        written = _commit(root, stage, moves, deletes)
        for name, stream in streams.items():
            stream.apply(plans[name], sizes[name])
        self._tail_rows.clear()
        return written, rows
