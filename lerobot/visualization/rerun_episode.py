"""One dataset episode in the Rerun viewer (what `lerobot-dataset-viz` shows): per frame, on the
`frame_index` (sequence) and `timestamp` (seconds) timelines,

    every camera key, e.g. observation.image     -> image (H, W, C) uint8
    action [D] with names n_0..n_{D-1}           -> action/<n_d> scalars (the index d when unnamed)
    observation.state [D]                        -> state/<n_d> scalars
    next.done / next.reward / next.success       -> scalars, when the dataset has them

The entity mapping and the Rerun stream are those of the robot's live display
(`lerobot.utils.visualization_utils`). The episode is read through a DataLoader.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lerobot.datasets.utils import dim_names
from lerobot.utils.visualization_utils import (
    DEFAULT_PORT,
    Entity,
    RerunDisplay,
    prefixed_entities,
    value_entities,
)

if TYPE_CHECKING:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

logger = logging.getLogger(__name__)

SCALAR_GROUPS = {"action": "action", "observation.state": "state"}  # feature -> entity prefix
EXTRA_SCALARS = ("next.done", "next.reward", "next.success")
LOCAL_FLAG = "--mode local"
NO_DISPLAY_HINT = (
    "write a file with --save 1 --output-dir <dir> (open it with `rerun <file>.rrd`), or serve it to a "
    "viewer on another computer with --mode distant"
)


def frame_entities(dataset: LeRobotDataset, batch: dict[str, Any], i: int) -> list[Entity]:
    """The entities of row `i` of a DataLoader batch (see the module docstring)."""
    entities: list[Entity] = []
    for key in dataset.meta.camera_keys:
        entities += value_entities(key, batch[key][i])  # (C, H, W) -> (H, W, C) uint8
    for key, prefix in SCALAR_GROUPS.items():
        if key in batch:
            names = dim_names(dataset.features[key])
            entities += prefixed_entities(
                prefix, dict(zip(names, batch[key][i].reshape(-1).tolist(), strict=True))
            )
    for key in EXTRA_SCALARS:
        if key in batch:
            entities += value_entities(key, batch[key][i].reshape(()))
    return entities


def rrd_path(output_dir: str | Path, repo_id: str, episode_index: int) -> Path:
    return Path(output_dir) / f"{repo_id.replace('/', '_')}_episode_{episode_index}.rrd"


def log_episode(display: RerunDisplay, dataset: LeRobotDataset, batch_size: int, num_workers: int) -> int:
    """Send every frame of `dataset` (one episode) to `display`; returns the number of frames."""
    import torch

    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers, shuffle=False
    )
    n = 0
    for batch in loader:
        for i in range(len(batch["index"])):
            display.log_entities(
                frame_entities(dataset, batch, i),
                frame_index=int(batch["frame_index"][i]),
                timestamp=float(batch["timestamp"][i]),
            )
            n += 1
    return n


def visualize_dataset(
    dataset: LeRobotDataset,
    episode_index: int,
    batch_size: int = 32,
    num_workers: int = 4,
    mode: str = "local",
    grpc_port: int = DEFAULT_PORT,
    web_port: int | None = 9090,
    save: bool = False,
    output_dir: str | Path | None = None,
) -> Path | RerunDisplay | None:
    """Log episode `episode_index` (the dataset must hold only that episode: `episodes=[episode_index]`).

    save: write `rrd_path(output_dir, ...)` and return it. mode "local": spawn a viewer (needs a display),
    return None. mode "distant": serve over gRPC on `grpc_port` (and a web viewer on `web_port` when given)
    and return the open display: the data stays available until `display.close()`.
    """
    if mode not in ("local", "distant"):
        raise ValueError(f"--mode must be 'local' or 'distant', got {mode!r}.")
    if save and output_dir is None:
        raise ValueError("--save 1 writes <output-dir>/<repo>_episode_<i>.rrd: set --output-dir.")
    if save and mode == "distant":
        raise ValueError("--save 1 writes a file and --mode distant serves it: choose one.")
    session = rrd_path(".", dataset.repo_id, episode_index).stem  # Rerun application ids take no "/"
    if save:
        path = rrd_path(output_dir, dataset.repo_id, episode_index)
        with RerunDisplay(session, save_path=path) as display:
            n = log_episode(display, dataset, batch_size, num_workers)
        logger.info("Wrote %d frames to %s (open it with `rerun %s`).", n, path, path)
        return path
    if mode == "local":
        with RerunDisplay(session, no_display_hint=NO_DISPLAY_HINT, viewer_flag=LOCAL_FLAG) as display:
            log_episode(display, dataset, batch_size, num_workers)
        return None
    display = RerunDisplay(session, port=grpc_port, serve=True)
    url = display.url.replace("127.0.0.1", socket.gethostname(), 1) if display.url else display.url
    print(f"Serving episode {episode_index} of {dataset.repo_id} over gRPC on port {grpc_port}.", flush=True)
    print(f"On another computer run:  rerun {url}", flush=True)
    if web_port is not None:
        import rerun as rr

        rr.serve_web_viewer(web_port=web_port, open_browser=False, connect_to=display.url)
        print(f"Or open in a browser:     http://{socket.gethostname()}:{web_port}/?url={url}", flush=True)
    log_episode(display, dataset, batch_size, num_workers)
    display.flush()
    return display
