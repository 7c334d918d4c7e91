"""Find the serial port of a motor bus by unplugging it: `lerobot-find-port`.

This script only parses the flags; the search is `lerobot.recording.device_setup.find_port`.
"""

from __future__ import annotations

from lerobot.recording.device_setup import find_port, list_ports  # noqa: F401  (re-exported)
from lerobot.utils.cli import ArgumentParser, command


@command("lerobot-find-port")
def main(args: list[str] | None = None) -> None:
    ArgumentParser(prog="lerobot-find-port", description=__doc__.split("\n")[0]).parse_args(args)
    find_port()


if __name__ == "__main__":
    main()
