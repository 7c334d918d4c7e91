"""Browse a LeRobot dataset in a web browser, offline: `lerobot-dataset-viz-html`.

    lerobot-dataset-viz-html --repo-id lerobot/pusht                  # http://127.0.0.1:9090/lerobot/pusht
    lerobot-dataset-viz-html --repo-id user/data --root ./data --episodes 0 3 7
    lerobot-dataset-viz-html --repo-id lerobot/pusht --load-from-hf-hub 1     # download first (cached)
    lerobot-dataset-viz-html --repo-id lerobot/pusht --serve 0 --output-dir site   # open site/index.html

Each episode page shows every camera side by side, synchronized, with one plot of every state/action
dimension under them (its cursor follows the videos; a click seeks them), the task and the list of
episodes; space plays / pauses, the arrows step one frame. The pages, routes and static export are in
lerobot/visualization/site.py; this script only parses the flags.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python lerobot/scripts/visualize_dataset_html.py` from a clone
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lerobot.utils.cli import ArgumentParser, command  # noqa: E402

INSTALL_HINT = "pip install -e '.[dataset-viz-html]'"


def make_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="lerobot-dataset-viz-html",
        description=__doc__.split("\n\n")[0],
        epilog="Examples:\n" + __doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--repo-id", required=True, help="Dataset repo id 'namespace/name', e.g. lerobot/pusht."
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="Local dataset folder (default: $HF_LEROBOT_HOME/<repo-id>)."
    )
    parser.add_argument(
        "--load-from-hf-hub",
        type=int,
        choices=(0, 1),
        default=0,
        help="1: download what is missing from the Hub into --root (or the cache) first; 0: local files only.",
    )
    parser.add_argument(
        "--episodes", type=int, nargs="+", default=None, help="Episodes to show, e.g. `0 3 7` (default: all)."
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="Where --serve 0 writes the static site (default: outputs/visualize_dataset_html/<repo-id>); "
        "with --serve 1, also write it there.",
    )
    parser.add_argument(
        "--serve", type=int, choices=(0, 1), default=1, help="1: serve the pages; 0: write a static site."
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="Address to listen on. Any other than 127.0.0.1 makes the dataset visible on the network.",
    )
    parser.add_argument("--port", type=int, default=9090, help="TCP port (0: any free port).")
    parser.add_argument(
        "--force-override",
        type=int,
        choices=(0, 1),
        default=0,
        help="1: replace a site that an earlier run wrote into --output-dir.",
    )
    parser.add_argument(
        "--tolerance-s",
        type=float,
        default=1e-4,
        help="Tolerance in seconds of the dataset's timestamp checks.",
    )
    return parser


def run_cli(args: list[str] | None = None) -> Path | None:
    """`main`, returning the written index.html with --serve 0. Errors are one line on stderr: user errors
    (flags, a missing dataset or episode, an output folder in the way, Flask not installed) exit with
    status 2, an address that cannot be listened on (port busy) with status 1."""
    parser = make_parser()
    ns = parser.parse_args(args)
    parts = ns.repo_id.split("/")
    if len(parts) != 2 or not all(parts):
        parser.error(f"--repo-id {ns.repo_id!r} must be 'namespace/name', e.g. lerobot/pusht")
    if not 0 <= ns.port <= 65535:
        parser.error(f"--port {ns.port} must be a TCP port (0-65535; 0: any free port)")
    if ns.tolerance_s < 0:
        parser.error(f"--tolerance-s {ns.tolerance_s} must be >= 0 seconds")
    if ns.episodes is not None and len(set(ns.episodes)) != len(ns.episodes):
        parser.error(f"--episodes {' '.join(map(str, ns.episodes))} has duplicates")
    if importlib.util.find_spec("flask") is None:
        parser.exit(2, f"{parser.prog}: error: the web visualizer needs Flask: {INSTALL_HINT}\n")

    from lerobot.utils.constants import hf_lerobot_home
    from lerobot.visualization.episode_data import open_dataset_view
    from lerobot.visualization.site import DatasetRegistry, ListenError, export_static_site, serve

    try:
        view = open_dataset_view(ns.repo_id, ns.root, ns.episodes, bool(ns.load_from_hf_hub), ns.tolerance_s)
        index = None
        if not ns.serve or ns.output_dir is not None:
            output_dir = ns.output_dir or Path("outputs/visualize_dataset_html") / ns.repo_id
            index = export_static_site([view], output_dir, force_override=bool(ns.force_override))
            print(f"Wrote {index} (open it in a browser).", flush=True)
        if ns.serve:
            serve(DatasetRegistry([view], home=hf_lerobot_home()), ns.host, ns.port)
        return index
    except ListenError as e:  # the world's fault (port busy): status 1
        parser.exit(1, f"{parser.prog}: error: {' '.join(str(e).split())}\n")
    except (OSError, ValueError) as e:  # missing dataset/episode/file, output folder in the way
        parser.exit(2, f"{parser.prog}: error: {' '.join(str(e).split())}\n")


@command("lerobot-dataset-viz-html")
def main(args: list[str] | None = None) -> None:
    """The `lerobot-dataset-viz-html` console script (returns None: its value becomes the exit status).
    One-line errors as every command (lerobot/utils/cli.py); --debug shows tracebacks."""
    run_cli(args)


if __name__ == "__main__":
    main()
