"""The write side of `LeRobotDataset` (create, add_frame, save_episode, clear_episode_buffer, finalize,
resume, push_to_hub): thin delegations to `writing/writer.py`'s `DatasetWriter`, and the extension of the
dataset's read view with what the writer committed (no re-read of the dataset after a save).

`LeRobotDataset` inherits these methods; `LeRobotDatasetMetadata.unloaded(...)` /
`LeRobotDataset._new_unloaded(meta, ...)` build objects for a root without reading it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lerobot.datasets.formats.common import append_rows, column_to_numpy
from lerobot.datasets.metadata import LeRobotDatasetMetadata
from lerobot.utils.constants import hf_lerobot_home


class WritableDataset:
    """Mixin of `LeRobotDataset` (lerobot/datasets/lerobot_dataset.py): its write API."""

    @classmethod
    def create(
        cls,
        repo_id: str,
        fps: int,
        features: dict[str, dict],
        root: str | Path | None = None,
        robot_type: str | None = None,
        use_videos: bool = True,
        tolerance_s: float = 1e-4,
        image_writer_processes: int = 0,
        image_writer_threads: int = 0,
        video_backend: str | None = None,
        **writer_kwargs,
    ) -> WritableDataset:
        """A new, empty v3.0 dataset at `root` (default `$HF_LEROBOT_HOME/<repo_id>`, must not exist).

        `writer_kwargs` go to `DatasetWriter.create`: `chunks_size`, `data_files_size_in_mb`,
        `video_files_size_in_mb`, `vcodec` ("libsvtav1" default, "h264", "hevc") or `video_config` (a
        `VideoEncodingConfig`: codec, crf, preset...), `streaming_encoding` (encode while recording, no
        temporary PNGs: the one flag that keeps a 30 fps 2-camera loop real time on a small CPU),
        `allow_nan`. Record with `add_frame(frame)` / `save_episode()`, end with `finalize()`.
        """
        from lerobot.datasets.writing.writer import DatasetWriter

        meta = LeRobotDatasetMetadata.unloaded(
            repo_id, root if root is not None else hf_lerobot_home() / repo_id
        )
        writer = DatasetWriter.create(
            meta.root,
            fps,
            features,
            robot_type=robot_type,
            use_videos=use_videos,
            image_writer_processes=image_writer_processes,
            image_writer_threads=image_writer_threads,
            **writer_kwargs,
        )
        return cls._attach_writer(meta, writer, tolerance_s=tolerance_s, video_backend=video_backend)

    @classmethod
    def resume(
        cls,
        repo_id: str,
        root: str | Path,
        tolerance_s: float = 1e-4,
        image_writer_processes: int = 0,
        image_writer_threads: int = 0,
        video_backend: str | None = None,
        **writer_kwargs,
    ) -> WritableDataset:
        """Open an existing local v3.0 dataset to append episodes (runs the crash-recovery pass first)."""
        from lerobot.datasets.writing.writer import DatasetWriter

        meta = LeRobotDatasetMetadata.unloaded(repo_id, root)
        writer = DatasetWriter.resume(
            meta.root,
            image_writer_processes=image_writer_processes,
            image_writer_threads=image_writer_threads,
            **writer_kwargs,
        )
        return cls._attach_writer(meta, writer, tolerance_s=tolerance_s, video_backend=video_backend)

    @classmethod
    def _attach_writer(cls, meta: LeRobotDatasetMetadata, writer, **kwargs) -> WritableDataset:
        meta.info = writer.info  # features/fps for the caller while nothing is saved yet
        obj = cls._new_unloaded(meta, **kwargs)
        obj.writer = writer
        if writer.info["total_episodes"] > 0:
            obj._reload()
        return obj

    def _refresh_after_write(self) -> None:
        """Extend the read view with what the writer committed since the last call (new episodes, episodes
        a merge relocated): O(new episodes), nothing is re-read from disk. After a merge the cached video
        readers are closed (merges replace mp4 files at the same path with new content; the cache would
        reopen a replaced file on its next use anyway, closing now releases the old files at once)."""
        changes = self.writer.take_changes()
        if not changes:
            return
        if self.episodes is not None:  # a selection: rebuild it from disk (not used by the write path)
            self._reload()
            return
        self.meta.apply_writer_changes(changes)
        self._check_delta()
        moved = False
        bufs = self.__dict__.setdefault("_buffers", {})
        for change in changes:
            if change.get("new") is not None:
                self._append_episode(change["new"][0], change["new"][2], bufs)
            for ep in change["moved"]:
                pos = self.meta.episode_position(ep)
                for key in self.meta.video_keys:
                    self._video_files[key][pos] = self._video_location(ep, key)
                moved = True
        self._build_plan()
        if moved:
            from lerobot.datasets.video_utils import clear_video_reader_cache

            clear_video_reader_cache()

    def _append_episode(self, row: dict, table, bufs: dict) -> None:
        """Append one saved episode (its episodes-table row and data arrow table) to the loaded frames."""
        n = table.num_rows
        cols = dict(self._cols)
        for key, ft in self.meta.features.items():
            if ft["dtype"] == "video":
                continue
            new = self._shape_column(key, column_to_numpy(table, key, self.root / "data"), n)
            cols[key] = append_rows(bufs, key, self._cols.get(key), new)
        self._cols = cols  # a new dict: the hf_dataset cache sees the change
        pos = len(self._sel_episodes)
        ep = int(row["episode_index"])
        self._sel_episodes.append(ep)
        start = int(self._ep_to_rel[-1]) if pos else 0
        self._row_ep_pos = append_rows(bufs, "_row_ep_pos", self._row_ep_pos, np.full(n, pos, np.int64))
        self._ep_from_rel = append_rows(bufs, "_ep_from_rel", self._ep_from_rel, np.array([start]))
        self._ep_to_rel = append_rows(bufs, "_ep_to_rel", self._ep_to_rel, np.array([start + n]))
        for key in self.meta.video_keys:
            self._video_files[key].append(self._video_location(ep, key))

    def _require_writer(self):
        writer = getattr(self, "writer", None)
        if writer is None:
            raise RuntimeError(
                "This dataset was opened for reading; use LeRobotDataset.create(...) or "
                "LeRobotDataset.resume(repo_id, root) to record episodes."
            )
        return writer

    @property
    def episode_buffer(self) -> dict | None:
        return getattr(getattr(self, "writer", None), "episode_buffer", None)

    def add_frame(self, frame: dict) -> None:
        """Append one frame (every user feature + "task"); raises ValueError naming the bad key."""
        self._require_writer().add_frame(frame)

    def save_episode(self, wait: bool = True):
        """Write the buffered episode (durable when this returns; `wait=False` returns a future)."""
        future = self._require_writer().save_episode(wait=wait)
        if wait:
            self._refresh_after_write()
        return future

    def clear_episode_buffer(self) -> None:
        self._require_writer().clear_episode_buffer()

    def finalize(self) -> None:
        """Wait for background saves and release the writer's pools (idempotent)."""
        writer = getattr(self, "writer", None)
        if writer is None:
            return
        writer.finalize()
        self._refresh_after_write()

    def push_to_hub(
        self,
        branch: str | None = None,
        tags: list[str] | None = None,
        license: str | None = "apache-2.0",
        tag_version: bool = True,
        push_videos: bool = True,
        private: bool = False,
        allow_patterns: list[str] | str | None = None,
        upload_large_folder: bool = False,
        **card_kwargs,
    ) -> str:
        """Upload `root` to the Hub dataset repo `repo_id` with a dataset card and the codebase-version tag
        (see `lerobot.datasets.hub.push.push_dataset_to_hub`)."""
        from lerobot.datasets.hub.push import push_dataset_to_hub

        if getattr(self, "writer", None) is not None:
            self.writer.wait()  # every queued episode committed before uploading
        return push_dataset_to_hub(
            self.root,
            self.repo_id,
            branch=branch,
            tags=tags,
            license=license,
            tag_version=tag_version,
            push_videos=push_videos,
            private=private,
            allow_patterns=allow_patterns,
            upload_large_folder=upload_large_folder,
            **card_kwargs,
        )
