"""Convert a dataset from another project's raw format into a LeRobot dataset (codebase v3.0), and push it.

    python lerobot/scripts/push_dataset_to_hub.py --raw-dir data/pusht_raw --raw-format pusht_zarr \
        --repo-id me/pusht --local-dir data/me/pusht --push-to-hub 0
    python lerobot/scripts/push_dataset_to_hub.py --raw-dir data/aloha_raw --raw-format aloha_hdf5 \
        --repo-id me/aloha_insertion --video 1 --push-to-hub 1      # `huggingface-cli login` first

Raw formats (readers in lerobot/datasets/raw/, one module each; `pip install 'lerobot[raw]'`):
pusht_zarr (Diffusion Policy's PushT zarr), umi_zarr (UMI zarr), aloha_hdf5 (ACT/ALOHA episode_<i>.hdf5),
xarm_pkl (FOWM's pickled buffers, read without running code), robomimic_hdf5 (robomimic and LIBERO).
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python lerobot/scripts/push_dataset_to_hub.py` from a clone
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lerobot.datasets.raw.registry import RAW_FORMATS, convert_raw
from lerobot.utils.cli import ArgumentParser, command


def make_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="push_dataset_to_hub.py",
        description=__doc__.split("\n\n")[0],
        epilog="Examples:\n" + __doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--raw-dir", type=Path, required=True, help="Folder (or file) of the raw dataset.")
    parser.add_argument("--raw-format", required=True, choices=sorted(RAW_FORMATS), help="Its format.")
    parser.add_argument("--repo-id", required=True, help="Name of the LeRobot dataset, `<user>/<name>`.")
    parser.add_argument(
        "--local-dir",
        type=Path,
        default=None,
        help="Where to write it (default: $HF_LEROBOT_HOME/<repo-id>).",
    )
    parser.add_argument("--push-to-hub", type=int, choices=(0, 1), default=1, help="1: upload to the Hub.")
    parser.add_argument(
        "--fps",
        type=int,
        default=None,
        help="Frame rate (default per format: pusht/umi 10, aloha 50, xarm 15).",
    )
    parser.add_argument("--video", type=int, choices=(0, 1), default=1, help="1: cameras as mp4, 0: as PNG.")
    parser.add_argument(
        "--force-override", type=int, choices=(0, 1), default=0, help="1: delete --local-dir if it exists."
    )
    parser.add_argument("--task", default=None, help="Task string of every episode (default per format).")
    parser.add_argument("--vcodec", default=None, help="Video codec: libsvtav1 (default), h264, hevc.")
    parser.add_argument("--private", type=int, choices=(0, 1), default=0, help="1: a private Hub repo.")
    return parser


def run_cli(args: list[str] | None = None):
    """Returns the converted dataset; user errors exit with status 2 and a one-line message."""
    logging.basicConfig(level=logging.INFO)
    parser = make_parser()
    ns = parser.parse_args(args)
    if ns.fps is not None and ns.fps <= 0:
        parser.error(f"--fps={ns.fps} must be > 0")
    if ns.repo_id.count("/") != 1 or not all(ns.repo_id.split("/")):
        parser.error(f"--repo-id={ns.repo_id} must be `<user>/<name>`")
    writer_kwargs = {"vcodec": ns.vcodec} if ns.vcodec else {}
    try:
        dataset = convert_raw(
            ns.raw_dir,
            ns.raw_format,
            ns.repo_id,
            local_dir=ns.local_dir,
            fps=ns.fps,
            video=bool(ns.video),
            force_override=bool(ns.force_override),
            task=ns.task,
            **writer_kwargs,
        )
    except (
        FileNotFoundError,
        FileExistsError,
        ValueError,
        ImportError,
    ) as e:  # RawFormatError is a ValueError
        parser.exit(2, f"{parser.prog}: error: {e}\n")
    print(f"Converted {dataset.num_episodes} episodes ({dataset.num_frames} frames) into {dataset.root}")
    if ns.push_to_hub:
        try:
            url = dataset.push_to_hub(private=bool(ns.private), tags=[ns.raw_format])
        except Exception as e:  # HTTP / auth / network: the converted dataset stays on disk
            retry = (
                "from lerobot.datasets.lerobot_dataset import LeRobotDataset; "
                f"LeRobotDataset({ns.repo_id!r}, root={str(dataset.root)!r})"
                f".push_to_hub(private={bool(ns.private)}, tags=[{ns.raw_format!r}])"
            )
            cause = " ".join(str(e).split())
            parser.exit(
                1,
                f"{parser.prog}: error: uploading {ns.repo_id} failed ({type(e).__name__}: {cause}); the converted "
                f"dataset is kept in {dataset.root}. Fix the cause (a 401/403: `huggingface-cli login`), then "
                f"retry the upload with: python -c {shlex.quote(retry)}\n",
            )
        print(f"Pushed to {url}")
    return dataset


@command("push_dataset_to_hub.py")
def main(args: list[str] | None = None) -> None:
    """One-line errors (lerobot/utils/cli.py): exit 2 for user errors, 1 for faults; --debug for tracebacks."""
    run_cli(args)


if __name__ == "__main__":
    main()
