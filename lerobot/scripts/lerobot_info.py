"""Print the versions and capabilities that matter for a LeRobot bug report: `lerobot-info`.

lerobot, Python, platform, torch with CUDA / MPS, PyAV with its FFmpeg and the usable video encoders and
decoders, installed sim envs and robot SDKs (lerobot.datasets.tools.info.environment_report).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if argv:
        print(
            f"lerobot-info: error: unexpected argument(s) {argv}; lerobot-info takes none.", file=sys.stderr
        )
        return 2
    from lerobot.datasets.tools.info import environment_report

    print("Copy-and-paste the text below in your GitHub issue.\n")
    print(environment_report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
