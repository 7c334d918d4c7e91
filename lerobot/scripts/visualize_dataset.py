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
(`lerobot.utils.visualization_utils`). This script only parses the flags and opens the dataset; the
logging is the library's `lerobot.visualization.rerun_episode`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from lerobot.datasets.utils import dim_names  # noqa: F401  (re-exported)
from lerobot.utils.cli import ArgumentParser, command
from lerobot.utils.visualization_utils import DEFAULT_PORT, RerunDisplay, check_viewer_can_open
from lerobot.visualization.rerun_episode import (  # noqa: F401  (re-exported)
    EXTRA_SCALARS,
    LOCAL_FLAG,
    NO_DISPLAY_HINT,
    SCALAR_GROUPS,
    frame_entities,
    log_episode,
    rrd_path,
    visualize_dataset,
)


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
