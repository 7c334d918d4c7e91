"""Find the serial port of a motor bus by unplugging it: `lerobot-find-port`."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from pathlib import Path

from lerobot.utils.cli import ArgumentParser, command


def list_ports() -> set[str]:
    if platform.system() == "Windows":
        from serial.tools import list_ports as lp

        return {p.device for p in lp.comports()}
    return {str(p) for p in Path("/dev").glob("tty*")}


def find_port(
    input_fn: Callable[[str], str] = input,
    ports_fn: Callable[[], set[str]] = list_ports,
    settle_s: float = 0.5,
) -> str:
    before = ports_fn()
    input_fn("Remove the USB cable from your MotorsBus and press Enter when done.")
    time.sleep(settle_s)  # let the OS drop the device
    gone = sorted(before - ports_fn())
    if len(gone) == 1:
        print(f"The port of this MotorsBus is '{gone[0]}'. Reconnect the USB cable.")
        return gone[0]
    if not gone:
        raise OSError("Could not detect the port: no port disappeared. Was the cable of the bus unplugged?")
    raise OSError(f"Could not detect the port: several ports disappeared ({gone}); unplug only one bus.")


@command("lerobot-find-port")
def main(args: list[str] | None = None) -> None:
    ArgumentParser(prog="lerobot-find-port", description=__doc__.split("\n")[0]).parse_args(args)
    find_port()


if __name__ == "__main__":
    main()
