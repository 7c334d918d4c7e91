"""The person at a simulated bus: the console of `python -m lerobot.motors.sim_bus` and `SimulatedUser`.

`main` serves the buses of a preset (`--robot <type>`, see `presets.py`) or a motor list (`--motors`),
prints their ports and reads console commands (`sweep`, `set <id> <ticks>`, `show`) from stdin, so that a
user can do by hand what calibration asks. `SimulatedUser` answers the calibration prompts itself for
`control_robot.py --robot.mock=true`.
"""

from __future__ import annotations

import sys
import threading

from lerobot.motors.sim.presets import MULTI_BUS_PRESETS, ROBOT_PRESETS
from lerobot.motors.sim.server import SimulatedServoBus
from lerobot.utils.cli import ArgumentParser, command

DESCRIPTION = (
    "A simulated servo bus on a pseudo-terminal, speaking Feetech protocol 0 or Dynamixel protocol 2.0."
)


def parse_motors(spec: str) -> list[tuple[int, str]]:
    out = []
    for item in spec.split(","):
        motor_id, sep, model = item.partition(":")
        if not sep or not motor_id.strip().isdigit():
            raise ValueError(f"--motors item '{item}' must be '<id>:<model>', e.g. '1:sts3215'.")
        out.append((int(motor_id), model.strip()))
    return out


class SimulatedUser:
    """An `input_fn` playing the person at simulated arms (`--robot.mock=true`): it answers ENTER to every
    prompt (reuse a calibration file; the "middle" pose is wherever the shafts are) and, when calibration
    asks to move the joints of `<id> <Device>` through their entire range, sweeps the bus registered for that
    id (`buses`: device id -> bus; with a single bus, that one). Each prompt is echoed with what it did."""

    def __init__(self, buses: dict[str, SimulatedServoBus], echo=print):
        self.buses = buses
        self.echo = echo

    def bus_for(self, prompt: str) -> SimulatedServoBus:
        named = [i for i in self.buses if f"{i} " in prompt]
        if named:
            return self.buses[max(named, key=len)]
        if len(self.buses) == 1:
            return next(iter(self.buses.values()))
        raise ValueError(
            f"The simulated user cannot tell which of {sorted(self.buses)} this prompt is for: {prompt!r}"
        )

    def __call__(self, prompt: str) -> str:
        if "entire range of motion" in prompt:
            bus = self.bus_for(prompt)
            self.echo(f"{prompt}\n  [simulated user] sweeping the joints on {bus.port}, then ENTER")
            bus.sweep()
        else:
            self.echo(f"{prompt}\n  [simulated user] ENTER")
        return ""


COMMANDS_HELP = """Commands (type them here, then ENTER), e.g. while `lerobot-calibrate` asks you to move the joints:
  sweep [side]                  move every joint by hand through its range (as calibration asks)
  set <id> <ticks> [side]       move one shaft by hand to a Present_Position
  show [side]                   print each motor's present position and torque"""


def run_command(line: str, buses: dict[str, SimulatedServoBus], out=print) -> None:
    """One line of the interactive console of `python -m lerobot.motors.sim_bus` (see COMMANDS_HELP)."""
    words = line.split()
    if not words:
        return
    cmd, args = words[0], words[1:]
    side = args.pop() if args and args[-1] in buses and args[-1] else ("" if "" in buses else None)
    if cmd not in ("sweep", "set", "show") or (cmd == "set" and len(args) != 2) or (cmd != "set" and args):
        out(f"unknown command {line.strip()!r}\n{COMMANDS_HELP}")
        return
    if side is None:
        out(f"name the bus: one of {sorted(buses)}")
        return
    bus = buses[side]
    try:
        if cmd == "sweep":
            bus.sweep()
            out(f"swept {sorted(bus.motors)}")
        elif cmd == "set":
            bus.set_present(int(args[0]), int(args[1]))
            out(f"motor {args[0]} at {bus.present(int(args[0]))}")
        else:
            for motor_id in sorted(bus.motors):
                out(
                    f"motor {motor_id}: position {bus.present(motor_id)}, torque {bus.torque_enabled(motor_id)}"
                )
    except (ValueError, KeyError) as e:
        out(f"error: {e}")


@command("python -m lerobot.motors.sim_bus")
def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(prog="python -m lerobot.motors.sim_bus", description=DESCRIPTION)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--robot",
        choices=sorted([*ROBOT_PRESETS, *MULTI_BUS_PRESETS]),
        help="motors of a robot/teleoperator (two-arm devices get one bus per arm)",
    )
    group.add_argument("--motors", help="comma-separated '<id>:<model>' list, e.g. 1:sts3215,2:sts3215")
    parser.add_argument("--corrupt-rate", type=float, default=0.0, help="share of corrupt status packets")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of dropped status packets")
    parser.add_argument("--seed", type=int, default=0, help="seed of the corrupt/drop draws")
    args = parser.parse_args(argv)
    if args.robot in MULTI_BUS_PRESETS:
        arms = {side: ROBOT_PRESETS[preset] for side, preset in MULTI_BUS_PRESETS[args.robot].items()}
    else:
        arms = {"": ROBOT_PRESETS[args.robot] if args.robot else parse_motors(args.motors)}
    buses = {}
    for i, (side, models) in enumerate(arms.items()):
        kwargs = {"seed": args.seed + i, "corrupt_rate": args.corrupt_rate, "drop_rate": args.drop_rate}
        buses[side] = SimulatedServoBus.from_models(models, **kwargs)
        print(f"{side} {buses[side].port}" if side else buses[side].port, flush=True)
    try:
        for bus in buses.values():
            bus.start()
        if sys.stdin is not None and sys.stdin.isatty():
            print(COMMANDS_HELP, flush=True)
        for line in sys.stdin if sys.stdin is not None else ():  # ends at EOF (stdin closed or not a tty)
            run_command(line, buses, lambda text: print(text, flush=True))
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for bus in buses.values():
            bus.stop()
