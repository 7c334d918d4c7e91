"""Check a LeRobot dataset end to end: `lerobot-dataset-check ROOT [--fix]`.

Prints every problem with its file, episode and frame (lerobot.datasets.tools.check); exit code 0 only
when the dataset is clean, 1 when problems remain, 2 for a usage error. `--fix` repairs what is safe to
repair (info.json totals, stats) through the writer's crash-safe commit, then checks again.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lerobot.utils.cli import ArgumentParser, command


@command("lerobot-dataset-check")
def main(args: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="lerobot-dataset-check", description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the dataset folder (the one holding meta/info.json)")
    parser.add_argument("--fix", action="store_true", help="repair totals and stats (crash-safe)")
    args = parser.parse_args(args)
    from lerobot.datasets.tools.check import check_dataset, fix_dataset

    if not args.root.is_dir():
        raise FileNotFoundError(f"{args.root} is not a folder: give the dataset folder (holding meta/).")
    if args.fix:
        fixed, problems = fix_dataset(args.root)
        for p in fixed:
            print(f"fixed: {p}")
    else:
        problems = check_dataset(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {args.root}", file=sys.stderr)
        return 1
    print(f"{args.root}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
