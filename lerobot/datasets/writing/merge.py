"""File streams of the v3.0 writer and their amortized merging (the writer's invariants are in
`lerobot.datasets.writing.writer`'s docstring).

A *stream* is one family of size-limited files: the data parquet files, the episodes-table parquet files,
or one camera's mp4 files. Its files are numbered by a linear index `li` (chunk, file = divmod(li,
chunks_size)). Each *tail* file holds exactly one episode saved since the last merge; every other file is
sealed (never touched again): a merge copies the tail files into new files after them.

Mechanism: tail files and geometric merges
------------------------------------------
* Each stream (the data parquet files, the episodes-table files, one camera's mp4 files) is a sequence
  of files numbered by a linear index (chunk, file = divmod(index, chunks_size)): sealed files, never
  touched again, then *tail* files holding one episode each.
* Saving episode `e` writes its rows, its row of the episodes table and its mp4 per camera as NEW tail
  files (the next index of each stream), plus stats.json/info.json (and tasks.parquet for a new task),
  all through one commit (below). Tail files are written cheaply (merge.TAIL_*_OPTIONS: no statistics,
  no dictionary pages; the episodes row without the stored arrow schema, whose ~80 columns make the footer
  most of the file); the json files every save rewrites are compact (no indentation).
* When the tail holds max(MIN_MERGE_TAIL (8), MERGE_RATIO (2) x the episodes merged so far in this
  session) episodes, a merge copies every stream's tail files into NEW size-limited files numbered from
  the first tail file (parquet row groups copied, mp4 packets stream-copied, no re-encode), packing by
  the reference's size rule (a new file starts when `size + incoming >= limit`), and seals them; the
  moved episodes' rows get their new locations (and `from_timestamp`s); the tail files are deleted. A
  merge never rewrites an earlier merged file, so each byte is copied exactly once, and the merged files
  grow geometrically (x3): a session of N episodes leaves about log3(N / 8) + 2 files per stream (more
  where files reach the size limit), and a session of fewer than 8 episodes one. Merges are rare (log N
  of them), so the median save does not see them.
* `finalize()` copies the remaining tail into new files the same way (a one-episode tail is sealed as
  it is); the merged files are not rewritten.
* `resume` seals the files of earlier sessions: new episodes start new files in every stream (the
  reference's rule for data files; here for videos too).
* The read view of `LeRobotDataset.create/resume` is extended with each committed change
  (`take_changes()`: the new episode's row and frames, the rows a merge relocated) instead of re-reading
  the dataset.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lerobot.datasets.formats.v30 import DATA_PATH, EPISODES_PATH, VIDEO_PATH, episodes_table
from lerobot.datasets.video_encoding import can_concatenate, concatenate_videos
from lerobot.datasets.writing.commit import _commit
from lerobot.datasets.writing.frames import STAGING_DIR

# Merge when the tail holds MIN_MERGE_TAIL episodes and MERGE_RATIO x the episodes merged so far in this
# session (writing/writer.py docstring): merged files grow geometrically (x(1 + MERGE_RATIO)), so a session
# leaves O(log N) of them; a session of fewer than MIN_MERGE_TAIL episodes ends in one file per stream.
MIN_MERGE_TAIL = 8
MERGE_RATIO = 2

# Episodes-table tail files hold one row of ~80 short list columns: their footer outweighs the row, so
# they are written without the stored arrow schema (the parquet schema reads back as the same arrow types,
# tests/datasets/test_write_merging.py), column statistics, dictionary pages or compression.
TAIL_EPISODES_OPTIONS = {
    "store_schema": False,
    "write_statistics": False,
    "use_dictionary": False,
    "compression": "none",
}
# Data tail files keep the stored schema (fixed-size lists, HF features); no statistics or dictionary
# pages (a 50-frame episode of float vectors gains nothing from a dictionary).
TAIL_DATA_OPTIONS = {"write_statistics": False, "use_dictionary": False, "compression": "snappy"}


@dataclass
class StreamFile:
    li: int
    episodes: list[int]
    size: int  # bytes on disk


@dataclass
class Stream:
    """The tail files of one stream: one episode each, after the sealed files."""

    template: str  # relative path template with {chunk_index} and {file_index}
    limit_bytes: float
    chunks_size: int
    fields: dict = field(default_factory=dict)  # other template fields (video_key)
    next_li: int = 0
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

    def pack(
        self, can_follow: Callable[[StreamFile, StreamFile], bool] | None = None
    ) -> list[tuple[int, list[StreamFile]]]:
        """Output files of a merge: [(li, input tail files in order)], numbered from the first tail file,
        filled up to the size limit (the reference's rule: start a new file when `size + incoming >=
        limit`)."""
        outputs: list[tuple[int, list[StreamFile]]] = []
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

    def apply(self, outputs: list[tuple[int, list[StreamFile]]]) -> None:
        """After a merge commit: every output is sealed, the next tail file follows the last one."""
        self.tails = []
        self.next_li = outputs[-1][0] + 1


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
    the tail episodes, and the merges that copy the tails into new sealed files (on the writer's thread)."""

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
        self.merged_episodes = 0  # episodes of this session in sealed files (merged or single)

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
        pq.write_table(table, stage / "data.parquet", **TAIL_DATA_OPTIONS)
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
        pq.write_table(table, stage / "episodes.parquet", **TAIL_EPISODES_OPTIONS)
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
        """Copy the tail files into new size-limited files (numbered from the first tail file) when the tail
        holds max(MIN_MERGE_TAIL, MERGE_RATIO x the episodes merged so far in this session) episodes, so
        each byte is copied once by a merge and the merged files grow geometrically; at `finalize()`
        whenever there is a tail. A tail of one file per stream is sealed as it is (nothing to copy).

        Returns None when nothing was rewritten, else (bytes written by destination, the new rows of the
        moved episodes)."""
        streams = self.streams
        n_tail = len(streams["data"].tails)
        if n_tail == 0 or (not final and n_tail < max(MIN_MERGE_TAIL, MERGE_RATIO * self.merged_episodes)):
            return None
        plans = {}
        for name, stream in streams.items():
            follow = self._video_can_follow(stream) if name.startswith("videos/") else None
            plans[name] = stream.pack(follow)
        self.merged_episodes += n_tail
        if all(is_identity(p) for p in plans.values()):
            for name, stream in streams.items():  # nothing moves: the tail files are sealed as they are
                stream.apply(plans[name])
            self._tail_rows.clear()
            return None
        return self._merge(plans)

    def _video_can_follow(self, stream: Stream):
        root = self.root
        return lambda a, b: can_concatenate(root / stream.rel(a.li), root / stream.rel(b.li))

    def _merge(
        self, plans: dict[str, list[tuple[int, list[StreamFile]]]]
    ) -> tuple[dict[str, int], dict[int, dict]]:
        """One crash-safe commit that writes the planned outputs and the moved episodes' rows, and deletes
        the merged-away tail files."""
        streams, root = self.streams, self.root
        tail_eps = [f.episodes[0] for f in streams["data"].tails]
        stage = root / STAGING_DIR / f"merge-{tail_eps[-1]:06d}"
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)
        moves: list[tuple[str, str]] = []
        deletes: list[str] = []
        rows = {e: dict(self._tail_rows[e]) for e in tail_eps}
        for name, plan in plans.items():
            if name == "episodes":
                continue
            stream = streams[name]
            prefix = "data/" if name == "data" else f"{name}/"
            for li, inputs in plan:
                spans = None
                if not (len(inputs) == 1 and inputs[0].li == li):
                    staged = stage / f"{name.replace('/', '_')}-{li}{Path(stream.template).suffix}"
                    paths = [root / stream.rel(f.li) for f in inputs]
                    if name == "data":
                        merge_parquet(paths, staged, self._data_schema)
                    else:
                        spans = concatenate_videos(paths, staged)
                    moves.append((staged.name, stream.rel(li)))
                chunk, file = stream.location(li)
                for i, f in enumerate(inputs):
                    row = rows[f.episodes[0]]
                    row[prefix + "chunk_index"], row[prefix + "file_index"] = chunk, file
                    if spans is not None:
                        row[prefix + "from_timestamp"], row[prefix + "to_timestamp"] = spans[i]
            deletes += _merged_away(stream, plan)
        # The episodes table: the (updated) tail rows, written in full (statistics, stored schema).
        stream = streams["episodes"]
        for li, inputs in plans["episodes"]:
            chunk, file = stream.location(li)
            for f in inputs:
                rows[f.episodes[0]]["meta/episodes/chunk_index"] = chunk
                rows[f.episodes[0]]["meta/episodes/file_index"] = file
            staged = stage / f"episodes-{li}.parquet"
            pq.write_table(episodes_table([rows[f.episodes[0]] for f in inputs], self.features), staged)
            moves.append((staged.name, stream.rel(li)))
        deletes += _merged_away(stream, plans["episodes"])
        written = _commit(root, stage, moves, deletes)
        for name, stream in streams.items():
            stream.apply(plans[name])
        self._tail_rows.clear()
        return written, rows
