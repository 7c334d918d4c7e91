"""The v2.1-era single entry point (docs/cli.md), on top of the redesigned robots/teleoperators:

    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=calibrate
    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=teleoperate --control.fps=30
    python lerobot/scripts/control_robot.py --robot.type=koch --control.type=record \
        --control.repo_id=me/koch_test --control.single_task="Grasp a lego block" --control.num_episodes=2
    python lerobot/scripts/control_robot.py --robot.type=so100 --control.type=replay \
        --control.repo_id=me/koch_test --control.episode=0
    # a trained policy drives the follower (the leader arms drive the resets); name the dataset eval_...
    python lerobot/scripts/control_robot.py --robot.type=koch --control.type=record \
        --control.repo_id=me/eval_koch_test --control.single_task="Grasp a lego block" \
        --control.policy.path=outputs/train/act_koch/checkpoints/last/pretrained_model

`--robot.type` is a v2.1 manipulator: `so100`, `koch`, `koch_bimanual`, `aloha`, `lekiwi`. Its arms are
`--robot.follower_arms='{main: /dev/ttyACM0}'` / `--robot.leader_arms='{main: /dev/ttyACM1}'` (arm name ->
port); features are `<arm>_<motor>.pos`. `--robot.mock=true` runs every arm on a simulated servo bus.
Calibration files: `<calibration_dir>/<arm>_{follower|leader}.json` (default dir
`.cache/calibration/<type>`), in the per-motor layout of the redesigned API. Each `--control.type` is a
config class with a `run(devices)` method, and each robot config says which robot and teleoperator it
builds (`make_robot`, `make_teleoperator`, `make_calibration_arms`, `serve`): no dispatch on type names.

LeKiwi (`--robot.type=lekiwi`): the arm and the base are on the robot's computer (a Raspberry Pi), which
runs the host; the laptop drives it over ZMQ (`lekiwi_client`: commands on `--robot.port` 5555,
observations on `--robot.video_port` 5556) with the local SO-100 leader arm (`leader_arms["main"]`) and
the keyboard for the base (w/s a/d z/x, r/f speed; `--robot.keyboard_backend=auto|pynput|terminal|none`):

    # on the robot: calibrate its arm (the local follower_arms["main"] port), then serve
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --control.type=calibrate \
        --control.arms='["main_follower"]'
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --control.type=remote_robot
    # on the laptop: calibrate the leader arm, then teleoperate / record / replay
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --control.type=calibrate \
        --control.arms='["main_leader"]'
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --robot.remote_ip=<pi ip> \
        --control.type=teleoperate
    python lerobot/scripts/control_robot.py --robot.type=lekiwi --robot.remote_ip=<pi ip> \
        --control.type=record --control.repo_id=me/kiwi --control.single_task="Go to the door"

Datasets record `robot_type` "lekiwi" with `arm_<joint>.pos`, `x.vel`, `y.vel`, `theta.vel` and the
cameras (shapes from `--robot.cameras`, which the host opens). With `--robot.mock=true` the LeKiwi bus
is simulated and a host runs in a background thread on 127.0.0.1 (free ports; `remote_ip` is unused),
so every control works without hardware, e.g. with file cameras:

    python lerobot/scripts/control_robot.py --robot.type=lekiwi --robot.mock=true \
        --robot.cameras='{front: {type: opencv, index_or_path: front.mp4, width: 640, height: 480, fps: 30}}' \
        --control.type=teleoperate --control.teleop_time_s=10

(In a mock session a simulated user, `lerobot.motors.sim_bus.SimulatedUser`, answers the calibration
prompts and sweeps the simulated joints; `control_robot(cfg, input_fn=...)` takes another one.)

This script only parses the flags; the runtime is the library's `lerobot/legacy/control_robot.py`.
"""

from __future__ import annotations

import logging

from lerobot.configs.parser import parse
from lerobot.legacy.control_robot import (  # noqa: F401  (re-exported, e.g. for tests and notebooks)
    CalibrateControlConfig,
    ControlConfig,
    ControlPipelineConfig,
    RecordControlConfig,
    RemoteRobotControlConfig,
    ReplayControlConfig,
    TeleoperateControlConfig,
    control_robot,
)
from lerobot.legacy.devices import Devices, ManipulatorRobotConfig  # noqa: F401  (re-exported)
from lerobot.utils.cli import command


@command("control_robot.py")
def main(args: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    result = control_robot(parse(ControlPipelineConfig, args))
    if isinstance(result, dict):
        print("Loop stats:", {k: round(v, 3) for k, v in result.items()})


if __name__ == "__main__":
    main()
