"""Show one episode of a LeRobot dataset in the Rerun viewer: `lerobot-dataset-viz`.

    lerobot-dataset-viz --repo-id lerobot/pusht --episode-index 0                 # spawn a viewer here
    lerobot-dataset-viz --repo-id lerobot/pusht --episode-index 0 --save 1 --output-dir out
                                                   # -> out/lerobot_pusht_episode_0.rrd; `rerun <file>` later
    lerobot-dataset-viz --repo-id lerobot/pusht --episode-index 0 --mode distant  # serve it to another computer
                                                   # there: `rerun rerun+http://<this host>:9876/proxy`

The episode is read through a DataLoader (`--batch-size`, `--num-workers`) and, per frame, logged on the
`frame_index` (sequence) and `timestamp` (seconds) timelines:

    every camera key, e.g. observation.image     -> image (H, W, C) uint8
    action [D] with names n_0..n_{D-1}           -> action/<n_d> scalars (the index d when unnamed)
    observation.state [D]                        -> state/<n_d> scalars
    next.done / next.reward / next.success       -> scalars, when the dataset has them

The entity mapping and the Rerun stream are those of the robot's live display
(`lerobot.utils.visualization_utils`).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lerobot.datasets.utils import dim_names
from lerobot.utils.cli import ArgumentParser, command
from lerobot.utils.visualization_utils import (
    DEFAULT_PORT,
    Entity,
    RerunDisplay,
    check_viewer_can_open,
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


def make_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="lerobot-dataset-viz",
        description=__doc__.split("\n\n")[0],
        epilog="Examples:\n" + __doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repo-id", required=True, help="Dataset repo id, e.g. `lerobot/pusht`.")
    parser.add_argument("--episode-index", type=int, required=True, help="The episode to show.")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="The dataset folder, or a folder holding <repo-id>/ (default: $HF_LEROBOT_HOME/<repo-id>).",
    )
    parser.add_argument(
        "--local-files-only",
        type=int,
        choices=(0, 1),
        default=0,
        help="1: use the dataset on this computer only, never download it.",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=None, help="Where --save 1 writes <repo-id>_episode_<i>.rrd."
    )
    parser.add_argument("--batch-size", type=int, default=32, help="DataLoader batch size.")
    parser.add_argument("--num-workers", type=int, default=4, help="DataLoader worker processes (0: none).")
    parser.add_argument(
        "--mode",
        choices=("local", "distant"),
        default="local",
        help="local: spawn a viewer on this computer; distant: serve the episode to a viewer elsewhere.",
    )
    parser.add_argument(
        "--web-port", type=int, default=9090, help="--mode distant: also serve a web viewer on this port."
    )
    parser.add_argument(
        "--ws-port",
        type=int,
        default=9087,
        help="Accepted for compatibility; unused (Rerun >= 0.23 streams over gRPC, see --grpc-port).",
    )
    parser.add_argument(
        "--grpc-port",
        type=int,
        default=DEFAULT_PORT,
        help="--mode distant: the gRPC port viewers connect to.",
    )
    parser.add_argument(
        "--save",
        type=int,
        choices=(0, 1),
        default=0,
        help="1: write <output-dir>/<repo-id with / -> _>_episode_<i>.rrd instead of showing it.",
    )
    parser.add_argument(
        "--tolerance-s",
        type=float,
        default=1e-4,
        help="Tolerance in seconds of the timestamp checks and video frame lookup.",
    )
    return parser


def run_cli(args: list[str] | None = None) -> Path | None:
    """`main`, returning the written .rrd path with --save 1 (parser errors exit with status 2, a missing
    dataset / unknown episode / no display with status 1, each with a one-line message)."""
    logging.basicConfig(level=logging.INFO)
    parser = make_parser()
    ns = parser.parse_args(args)
    for flag in ("batch_size", "web_port", "grpc_port"):
        value = getattr(ns, flag)
        if value < 1 or (flag.endswith("port") and value > 65535):
            parser.error(
                f"--{flag.replace('_', '-')}={value} must be " + ("a TCP port" if "port" in flag else "> 0")
            )
    if ns.num_workers < 0:
        parser.error(f"--num-workers={ns.num_workers} must be >= 0")
    if ns.save and ns.output_dir is None:
        parser.error("--save 1 writes <output-dir>/<repo-id>_episode_<i>.rrd: set --output-dir")
    if ns.save and ns.mode == "distant":
        parser.error("--save 1 writes a file and --mode distant serves it: choose one")
    try:
        if not ns.save and ns.mode == "local":
            check_viewer_can_open(NO_DISPLAY_HINT, LOCAL_FLAG)  # before loading anything
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
        from lerobot.utils.dataset_root import require_local_dataset, resolve_dataset_root

        if ns.local_files_only:
            root = require_local_dataset(ns.repo_id, ns.root)
        else:
            root = resolve_dataset_root(ns.repo_id, ns.root)  # the dataset folder or one holding <repo-id>/
        dataset = LeRobotDataset(
            ns.repo_id,
            root=root,
            episodes=[ns.episode_index],
            tolerance_s=ns.tolerance_s,
            return_uint8=True,
        )
    except (FileNotFoundError, ValueError) as e:  # missing dataset, unknown episode, no display
        parser.exit(1, f"{parser.prog}: error: {e}\n")
    result = visualize_dataset(
        dataset,
        ns.episode_index,
        ns.batch_size,
        ns.num_workers,
        ns.mode,
        ns.grpc_port,
        ns.web_port,
        bool(ns.save),
        ns.output_dir,
    )
    if isinstance(result, RerunDisplay):  # distant: keep serving until Ctrl-C
        print("Ctrl-C to stop.", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            result.close()
        return None
    return result


@command("lerobot-dataset-viz")
def main(args: list[str] | None = None) -> None:
    """The `lerobot-dataset-viz` console script (returns None: its value becomes the exit status)."""
    run_cli(args)


if __name__ == "__main__":
    main(sys.argv[1:])
