"""Codebase v3.0 dataset writer: episode buffer, frame validation, tail files and merges, crash safety.

Layout written (docs/dataset_format.md): `meta/info.json`, `meta/stats.json`, `meta/tasks.parquet`,
`meta/episodes/chunk-XXX/file-XXX.parquet`, `data/chunk-XXX/file-XXX.parquet`,
`videos/<video_key>/chunk-XXX/file-XXX.mp4`; temporary PNGs under `images/` while recording, the writer
lock `.writer.lock` (writing/lock.py) while a writer is open.

Invariants
----------
1. Every committed state is a valid v3.0 dataset: every file under `meta/`, `data/` and `videos/` is
   complete (parquet with its footer, mp4 with its index) and describes only episodes whose
   `save_episode()` finished; the data files, in path order, hold the rows 0..N-1 in order, the episodes
   files the rows of episodes 0..E-1 (a loader that globs the folders reads them as is); info.json's totals
   and stats.json's aggregate match them. The only exception is the few `os.replace`/unlink calls of a
   commit, which a recovery pass completes.
2. A save costs O(episode): it never rewrites a file that holds earlier episodes.
3. Each byte of the data, video and episodes files is written twice: once by the save, once by one merge
   (or finalize); the number of files stays O(log N) per session (benchmarks/dataset_scaling.py prints
   bytes written / final size by kind).

Mechanism: tail files and geometric merges, in writing/merge.py's docstring. Crash safety: staging,
commit point and recovery, in writing/commit.py's docstring.

Bytes written / final size (benchmarks/dataset_scaling.py, 1,000 episodes of 50 frames; details in
docs/dataset_format.md): 2.11x with one 96x96 camera (the mp4s, written twice, dominate); 4.79x with
state + action only, where each save's fixed cost outweighs its episode (the episodes-table file of one
row ~14.5 KB, mostly the parquet footer of ~80 list columns; stats.json ~3.5 KB; info.json ~0.7 KB;
~6.6 KB of final bytes per episode): that mode cannot get near 2.5x while every save commits a complete
episodes parquet file.

Background saving: `save_episode(wait=False)` returns a future and lets the caller record the next
episode while this one is encoded and committed by one worker thread (episodes are committed in order).
The episode is durable once the future is done (`save_episode()` with the default `wait=True` blocks
until then). Video encoding runs on that worker thread; with `encoder_niceness > 0` the thread (and the
SVT-AV1 / x264 threads it starts) runs at a lowered priority, so it never preempts the recording loop.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from lerobot.datasets.compute_stats import (
    aggregate_stats,
    auto_downsample,
    compute_episode_stats,
    serialize_stats,
)
from lerobot.datasets.formats.common import INFO_PATH
from lerobot.datasets.formats.v30 import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_DATA_FILE_SIZE_IN_MB,
    DEFAULT_VIDEO_FILE_SIZE_IN_MB,
    STATS_PATH,
    TASKS_PATH,
    data_schema,
    data_table,
)
from lerobot.datasets.video_encoding import (
    StreamingVideoEncoder,
    VideoEncodingConfig,
    encode_video_frames,
    lower_thread_priority,
    probe_video_info,
)
from lerobot.datasets.writing.commit import _commit, recover
from lerobot.datasets.writing.episode import (
    PendingEpisode,
    check_empty,
    episode_columns,
    last_episode_row,
    load_camera_item,
    read_existing,
    video_config_from_info,
    without_stats,
)
from lerobot.datasets.writing.frames import (
    IMAGES_DIR,
    STAGING_DIR,
    build_features,
    new_info,
    temp_image_path,
    validate_frame,
    write_json_file,
)
from lerobot.datasets.writing.image_writer import AsyncImageWriter, image_to_hwc_uint8
from lerobot.datasets.writing.lock import LOCK_FILE, DatasetLockedError, WriterLock  # noqa: F401
from lerobot.datasets.writing.merge import TailFiles
from lerobot.utils.constants import TASK

CODEBASE_VERSION = "v3.0"
logger = logging.getLogger(__name__)


class DatasetWriter:
    """Writes one v3.0 dataset. Build it with `create(...)` or `resume(...)`, never directly."""

    def __init__(
        self,
        root: Path,
        info: dict,
        tasks: list[str],
        stats: dict | None,
        image_writer_processes: int = 0,
        image_writer_threads: int = 0,
        video_config: VideoEncodingConfig | None = None,
        allow_nan: bool = False,
        encoder_niceness: int = 0,
        streaming_encoding: bool = False,
    ):
        self.root = Path(root)
        self.encoder_niceness = encoder_niceness
        self.streaming_encoding = streaming_encoding
        self._stream_encoders: dict[str, StreamingVideoEncoder] = {}
        self.info = info
        self.features: dict[str, dict] = info["features"]
        self.fps: int = info["fps"]
        self.allow_nan = allow_nan
        self.video_config = video_config or VideoEncodingConfig()
        self._image_writer_args = (image_writer_processes, image_writer_threads)
        self.image_writer: AsyncImageWriter | None = None
        self._tasks: list[str] = list(tasks)  # every known task, task_index order (main thread)
        self._stats = stats  # global stats (saver thread)
        self._saver: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []
        self._failed: tuple[int, Exception] | None = None  # (episode, error) of a failed background save
        # Counters including episodes queued for saving (main thread).
        self._next_episode_index = info["total_episodes"]
        self._next_frame_index = info["total_frames"]
        # File streams, their tail episodes' rows (saver thread) and the committed changes a read view has
        # not applied yet (see `take_changes`).
        self._data_schema = data_schema(self.features)  # one HF fingerprint for every data file
        self._files = TailFiles(self.root, info, self.features, self._data_schema)
        self._changes: queue.SimpleQueue[dict] = queue.SimpleQueue()
        # Bytes of the files committed by saves and merges, by kind: "data", "videos", "meta/episodes" and
        # "meta" (info.json, stats.json, tasks.parquet). Temporary PNGs and mp4s are not counted.
        self.bytes_written: dict[str, int] = dict.fromkeys(("data", "videos", "meta/episodes", "meta"), 0)
        self.bytes_written_meta: dict[str, int] = {}  # the "meta" kind by file (meta/info.json, ...)
        self.episode_buffer: dict | None = None
        self.clear_episode_buffer()
        self._lock = WriterLock(self.root)  # acquired by create()/resume(), released by finalize()

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        root: Path | str,
        fps: int,
        features: dict[str, dict],
        robot_type: str | None = None,
        use_videos: bool = True,
        chunks_size: int = DEFAULT_CHUNK_SIZE,
        data_files_size_in_mb: float = DEFAULT_DATA_FILE_SIZE_IN_MB,
        video_files_size_in_mb: float = DEFAULT_VIDEO_FILE_SIZE_IN_MB,
        image_writer_processes: int = 0,
        image_writer_threads: int = 0,
        video_config: VideoEncodingConfig | None = None,
        allow_nan: bool = False,
        encoder_niceness: int = 0,
        streaming_encoding: bool = False,
        vcodec: str | None = None,
        metadata_buffer_size: int = 10,
        batch_encoding_size: int = 1,
    ) -> DatasetWriter:
        """A new dataset at `root` (must not exist or be empty).

        `vcodec` is a shortcut for `video_config=VideoEncodingConfig(vcodec=...)` ("libsvtav1", "h264",
        "hevc"). `encoder_niceness` > 0 lowers the priority of the PNG writers and the saver thread (and of the
        encoder threads it starts), trading save latency for a steadier recording loop on a busy machine.
        `streaming_encoding=True` encodes video frames while they are recorded (one encoder thread per
        camera) instead of writing temporary PNGs and encoding them at save time.
        `metadata_buffer_size` is accepted for compatibility with the reference and ignored: every save
        writes its episode row (a buffered row would be lost in a crash). `batch_encoding_size` must be 1."""
        root = Path(root)
        if batch_encoding_size != 1:
            raise ValueError(
                f"batch_encoding_size={batch_encoding_size} is not supported: episodes are encoded one by one so "
                "each save is durable. To keep the recording loop free while encoding, use "
                "save_episode(wait=False) or streaming_encoding=True."
            )
        if not isinstance(metadata_buffer_size, int) or metadata_buffer_size < 1:
            raise ValueError(f"metadata_buffer_size must be an int >= 1, got {metadata_buffer_size!r}.")
        if vcodec is not None:
            if video_config is not None and video_config.vcodec != vcodec:
                raise ValueError(
                    f"vcodec={vcodec!r} contradicts video_config.vcodec={video_config.vcodec!r}: give one of them."
                )
            video_config = video_config or VideoEncodingConfig(vcodec=vcodec)
        check_empty(root)
        info = new_info(
            CODEBASE_VERSION,
            fps,
            build_features(features, use_videos),
            robot_type,
            chunks_size,
            data_files_size_in_mb,
            video_files_size_in_mb,
        )
        options = (
            image_writer_processes,
            image_writer_threads,
            video_config,
            allow_nan,
            encoder_niceness,
            streaming_encoding,
        )

        def open_new() -> DatasetWriter:
            check_empty(root)  # again under the lock: another create() may have won the race
            (root / "meta").mkdir(parents=True, exist_ok=True)
            write_json_file(info, root / INFO_PATH, fsync=True)
            return cls(root, info, [], None, *options)

        return cls._holding_lock(root, open_new)

    @classmethod
    def resume(
        cls,
        root: Path | str,
        image_writer_processes: int = 0,
        image_writer_threads: int = 0,
        video_config: VideoEncodingConfig | None = None,
        allow_nan: bool = False,
        encoder_niceness: int = 0,
        streaming_encoding: bool = False,
    ) -> DatasetWriter:
        """Open an existing v3.0 dataset (after `recover`) to append episodes."""
        root = Path(root)
        if not (root / INFO_PATH).is_file():
            raise FileNotFoundError(
                f"Cannot resume: {root / INFO_PATH} does not exist (create the dataset first)."
            )

        def open_existing() -> DatasetWriter:
            # Under the lock: recover() must never clean up after a writer that is still running.
            recover(root)
            info, tasks, stats = read_existing(root, CODEBASE_VERSION)
            config = video_config if video_config is not None else video_config_from_info(info)
            writer = cls(
                root, info, tasks, stats, image_writer_processes, image_writer_threads, config, allow_nan,
                encoder_niceness, streaming_encoding,
            )  # fmt: skip
            if info["total_episodes"] > 0:
                writer._files.continue_after(last_episode_row(root))
            return writer

        return cls._holding_lock(root, open_existing)

    @staticmethod
    def _holding_lock(root: Path, open_writer: Callable[[], DatasetWriter]) -> DatasetWriter:
        """Take the root's writer lock (DatasetLockedError when another writer holds it), then open the writer
        under it; the writer keeps the lock until finalize/close, a failed opening releases it."""
        lock = WriterLock(root)
        lock.acquire()
        try:
            writer = open_writer()
        except BaseException:
            lock.release()
            raise
        writer._lock = lock
        return writer

    # ------------------------------------------------------------------ properties
    @property
    def video_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] == "video"]

    @property
    def image_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] == "image"]

    @property
    def camera_keys(self) -> list[str]:
        return [k for k, ft in self.features.items() if ft["dtype"] in ("image", "video")]

    @property
    def tasks(self) -> list[str]:
        return list(self._tasks)

    @property
    def num_pending_saves(self) -> int:
        self._pending = [f for f in self._pending if not f.done()]
        return len(self._pending)

    # ------------------------------------------------------------------ recording
    def clear_episode_buffer(self) -> None:
        """Discard the frames of the episode being recorded (e.g. to re-record it)."""
        if self.episode_buffer is not None and self.image_writer is not None:
            self.image_writer.wait_until_done()
        if self.episode_buffer is not None:
            for key in self.camera_keys:
                shutil.rmtree(self._episode_images_dir(key, self._next_episode_index), ignore_errors=True)
            for encoder in self._stream_encoders.values():
                encoder.abort()
            shutil.rmtree(self._recording_dir(self._next_episode_index), ignore_errors=True)
            with contextlib.suppress(OSError):  # only when empty: a save may be staging its files there
                (self.root / STAGING_DIR).rmdir()
        self._stream_encoders = {}
        self.episode_buffer = {"size": 0, TASK: [], **{k: [] for k in self._user_keys()}}

    def _user_keys(self) -> list[str]:
        from lerobot.datasets.writing.frames import DEFAULT_FEATURES

        return [k for k in self.features if k not in DEFAULT_FEATURES]

    def _recording_dir(self, episode_index: int) -> Path:
        return self.root / STAGING_DIR / f"recording-{episode_index:06d}"

    def _episode_images_dir(self, key: str, episode_index: int) -> Path:
        return temp_image_path(self.root, key, episode_index, 0).parent

    def add_frame(self, frame: dict) -> None:
        """Validate one frame (every user feature + "task") and append it to the episode buffer.

        Nothing is changed when validation fails, so the buffer stays usable after a ValueError."""
        clean = validate_frame(frame, self.features, allow_nan=self.allow_nan)
        frame_index = self.episode_buffer["size"]
        for key in self.camera_keys:
            image = image_to_hwc_uint8(clean[key], key)
            if image is frame[key] or not image.flags.owndata:
                image = image.copy()  # the caller may reuse its camera buffer (array or tensor) next tick
            if self.streaming_encoding and key in self.video_keys:
                encoder = self._stream_encoders.get(key)
                if encoder is None:
                    path = self._recording_dir(self._next_episode_index) / f"{key}.mp4"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    encoder = StreamingVideoEncoder(path, self.fps, self.video_config, self.encoder_niceness)
                    self._stream_encoders[key] = encoder
                encoder.put(image)
                # keep the strided thumbnail the stats use (compute_stats.auto_downsample), not the frame
                clean[key] = np.moveaxis(auto_downsample(np.moveaxis(image, -1, 0)), 0, -1)
                continue
            path = temp_image_path(self.root, key, self._next_episode_index, frame_index)
            if self.image_writer is None:
                self.image_writer = AsyncImageWriter(*self._image_writer_args, niceness=self.encoder_niceness)
            self.image_writer.submit(image, path)
            clean[key] = path
        for key, value in clean.items():
            self.episode_buffer[key].append(value)
        self.episode_buffer["size"] += 1

    def save_episode(self, wait: bool = True) -> Future:
        """Close the current episode and write it (see the module docstring for durability).

        With `wait=False` the write happens on a background thread and the returned future completes
        when the episode is committed; recording of the next episode can start at once."""
        if self._failed is not None:
            raise RuntimeError(
                f"Saving episode {self._failed[0]} failed ({self._failed[1]!r}): no further episode can be "
                "appended in this session. Fix the cause and reopen the dataset with resume()."
            )
        self._lock.acquire()  # no-op while held; saving again after finalize() takes it back
        buffer = self.episode_buffer
        length = buffer["size"]
        if length == 0:
            raise ValueError(
                "save_episode() called with an empty episode buffer: add_frame() at least one frame."
            )
        episode_tasks: list[str] = []
        for task in buffer[TASK]:
            if task not in episode_tasks:
                episode_tasks.append(task)
            if task not in self._tasks:
                self._tasks.append(task)
        task_to_index = {t: i for i, t in enumerate(self._tasks)}
        episode_index = self._next_episode_index
        from_index = self._next_frame_index
        columns = episode_columns(
            buffer, self.features, self._user_keys(), self.fps, episode_index, from_index, task_to_index
        )
        futures = self.image_writer.take_pending() if self.image_writer is not None else []
        episode = PendingEpisode(
            episode_index=episode_index,
            from_index=from_index,
            columns=columns,
            camera_paths={k: list(buffer[k]) for k in self.camera_keys},
            tasks=episode_tasks,
            all_tasks=list(self._tasks),
            image_futures=futures,
            stream_encoders=dict(self._stream_encoders),
        )
        self._next_episode_index += 1
        self._next_frame_index += length
        self.episode_buffer = None
        self.clear_episode_buffer()
        if self._saver is None:
            self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="episode-saver")
            if self.encoder_niceness > 0:
                self._saver.submit(lower_thread_priority, self.encoder_niceness)
        future = self._saver.submit(self._save_or_stop, episode)
        self._pending.append(future)
        if wait:
            future.result()
        return future

    def wait(self) -> None:
        """Block until every queued episode is committed (re-raises the first save error)."""
        pending, self._pending = self._pending, []
        for fut in pending:
            fut.result()

    def finalize(self) -> None:
        """Wait for background saves and stop the worker pools. Idempotent. Frames of an episode that was
        never saved are discarded (logged)."""
        if self.episode_buffer is not None and self.episode_buffer["size"] > 0:
            logger.warning(
                "finalize(): discarding %d frames of an episode that was not saved (call save_episode() first "
                "to keep them).",
                self.episode_buffer["size"],
            )
            self.clear_episode_buffer()
        try:
            self.wait()
            if self._failed is None:
                self._maybe_merge(final=True)
        finally:
            if self.image_writer is not None:
                self.image_writer.stop()
                self.image_writer = None
            if self._saver is not None:
                self._saver.shutdown(wait=True)
                self._saver = None
            if (self.root / IMAGES_DIR).is_dir() and not any((self.root / IMAGES_DIR).rglob("*.png")):
                shutil.rmtree(self.root / IMAGES_DIR, ignore_errors=True)
            self._lock.release()

    # ------------------------------------------------------------------ saving (worker thread)
    def _save_or_stop(self, ep: PendingEpisode) -> None:
        """Run one save; after a failed one, refuse the queued ones (their indices assumed it succeeded)."""
        if self._failed is not None:
            raise RuntimeError(
                f"Episode {ep.episode_index} was not saved because saving episode {self._failed[0]} failed "
                f"({self._failed[1]!r}); the dataset on disk holds the episodes before it. Fix the cause and "
                "reopen it with resume() to continue."
            )
        try:
            self._write_episode(ep)
        except Exception as e:
            self._failed = (ep.episode_index, e)
            raise

    def _write_episode(self, ep: PendingEpisode) -> None:
        for fut in ep.image_futures:
            fut.result()
        ep_index = ep.episode_index
        length = len(ep.columns["index"])
        stage = self.root / STAGING_DIR / f"episode-{ep_index:06d}"
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)

        # Stats (cameras from the sampled PNGs).
        stats_input = dict(ep.columns)
        stats_input.update(ep.camera_paths)
        # as the reference: timestamp stats from frame_index / fps before the float32 cast of the column
        stats_input["timestamp"] = ep.columns["frame_index"] / self.fps
        ep_stats = compute_episode_stats(stats_input, self.features, load_image=load_camera_item)

        # The episode's tail files: its rows, one mp4 per camera, its row of the episodes table.
        table = data_table(
            ep.columns, {k: ep.camera_paths[k] for k in self.image_keys}, self.features, self._data_schema
        )
        mp4s = {}
        for key in self.video_keys:
            if key in ep.stream_encoders:
                mp4s[key] = ep.stream_encoders[key].finish()
            else:
                mp4s[key] = stage / f"{key}.episode.mp4"
                encode_video_frames(ep.camera_paths[key][0].parent, mp4s[key], self.fps, self.video_config)
            if "info" not in self.features[key]:
                self.features[key]["info"] = probe_video_info(mp4s[key])
        row = {
            "episode_index": ep_index,
            "tasks": ep.tasks,
            "length": length,
            "dataset_from_index": ep.from_index,
            "dataset_to_index": ep.from_index + length,
        }
        for key, ft_stats in ep_stats.items():
            for name, value in ft_stats.items():
                row[f"stats/{key}/{name}"] = np.asarray(value).tolist()
        moves, episodes_move, sizes, row = self._files.stage_episode(stage, row, table, mp4s)

        # tasks.parquet (only when this episode brought new tasks), stats.json, info.json (last).
        n_known = self.info["total_tasks"]
        if len(ep.all_tasks) > n_known:
            tasks_df = pd.DataFrame(
                {"task_index": np.arange(len(ep.all_tasks), dtype=np.int64)}, index=ep.all_tasks
            )
            tasks_df.to_parquet(stage / "tasks.parquet")
            moves.append(("tasks.parquet", TASKS_PATH))
        new_stats = ep_stats if self._stats is None else aggregate_stats([self._stats, ep_stats])
        write_json_file(serialize_stats(new_stats), stage / "stats.json", compact=True)
        moves.append(("stats.json", STATS_PATH))
        info = dict(self.info)
        info["total_episodes"] = ep_index + 1
        info["total_frames"] = ep.from_index + length
        info["total_tasks"] = max(n_known, len(ep.all_tasks))
        info["splits"] = {"train": f"0:{ep_index + 1}"}
        write_json_file(info, stage / "info.json", compact=True)
        # Rename order: data and videos (supersets of the old files), tasks, stats, then the episodes table
        # and info.json, so a reader racing the commit never sees an episode row whose task is unknown.
        moves.append(episodes_move)
        moves.append(("info.json", INFO_PATH))

        self._count_bytes(_commit(self.root, stage, moves))

        # Commit done: update the in-memory state and drop the temporary frames.
        self.info = info
        self._stats = new_stats
        self._files.add_episode(ep_index, row, sizes)
        for key in self.camera_keys:
            shutil.rmtree(self._episode_images_dir(key, ep_index), ignore_errors=True)
        if ep.stream_encoders:
            shutil.rmtree(self._recording_dir(ep_index), ignore_errors=True)
            with contextlib.suppress(OSError):
                (self.root / STAGING_DIR).rmdir()
        self._changes.put(
            {
                "info": info,
                "stats": new_stats,
                "tasks": list(ep.all_tasks),
                "new": (without_stats(row), ep_stats, table),
                "moved": {},
            }
        )
        self._maybe_merge(final=False)

    # ------------------------------------------------------------------ merging (worker thread, finalize)
    def _maybe_merge(self, final: bool) -> None:
        """Copy the tail files into new files when due (writing/merge.py), then publish the moved rows."""
        merged = self._files.maybe_merge(final)
        if merged is not None:
            written, moved = merged
            self._count_bytes(written)
            self._changes.put({"moved": {e: without_stats(r) for e, r in moved.items()}})

    def _count_bytes(self, written: dict[str, int]) -> None:
        for rel, size in written.items():
            kind = next(k for k in ("data", "videos", "meta/episodes", "meta") if rel.startswith(k + "/"))
            self.bytes_written[kind] += size
            if kind == "meta":
                self.bytes_written_meta[rel] = self.bytes_written_meta.get(rel, 0) + size

    def take_changes(self) -> list[dict]:
        """The committed changes since the last call, in order, for a read view to apply: dicts with
        `info`, `stats`, `tasks` and `new` = (episode row without stats, episode stats, data arrow table)
        for a saved episode, and `moved` = {episode_index: new row} for episodes a merge relocated."""
        out = []
        while True:
            try:
                out.append(self._changes.get_nowait())
            except queue.Empty:
                return out
