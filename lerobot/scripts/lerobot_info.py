"""Print the versions and capabilities that matter for a LeRobot bug report: `lerobot-info`.

lerobot, Python, platform, torch with CUDA / MPS, PyAV with its FFmpeg and the usable video encoders and
decoders, installed sim envs and robot SDKs (lerobot.datasets.tools.info.environment_report).
"""

from __future__ import annotations

import sys

from lerobot.utils.cli import UsageError, command


@command("lerobot-info")
def main(args: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if args is None else args)
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if args:
        raise UsageError(
            f"unexpected argument {args[0]!r}: lerobot-info takes no argument (--help says what it prints)"
        )
    from lerobot.datasets.tools.info import environment_report

    print("Copy-and-paste the text below in your GitHub issue.\n")
    print(environment_report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
