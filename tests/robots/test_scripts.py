"""Hardware command-line flows on simulated buses: calibrate, teleoperate, setup-motors, find-port."""

import json
import subprocess
import sys
import time

import pytest

from lerobot.configs.parser import parse
from lerobot.devices.device import calibration_root
from lerobot.motors.sim_bus import SimMotor
from lerobot.robots import make_robot_from_config
from lerobot.scripts.lerobot_calibrate import CalibrateConfig, calibrate
from lerobot.scripts.lerobot_find_port import find_port
from lerobot.scripts.lerobot_setup_motors import SetupConfig, setup_motors
from lerobot.scripts.lerobot_teleoperate import teleop_loop
from lerobot.teleoperators import make_teleoperator_from_config
from lerobot.utils.robot_utils import LoopTimer
from tests.robots.conftest import make_sim, scripted_calibration


@pytest.fixture
def so100_sims():
    follower, leader = make_sim("so100_follower"), make_sim("so100_leader")
    yield follower, leader
    follower.stop()
    leader.stop()


def calibrate_both(follower_sim, leader_sim):
    for kind, sim, dev_id in (("robot", follower_sim, "f"), ("teleop", leader_sim, "l")):
        dev_type = "so100_follower" if kind == "robot" else "so100_leader"
        cfg = parse(
            CalibrateConfig,
            [f"--{kind}.type={dev_type}", f"--{kind}.port={sim.port}", f"--{kind}.id={dev_id}"],
        )
        device = (make_robot_from_config if kind == "robot" else make_teleoperator_from_config)(
            cfg.robot if kind == "robot" else cfg.teleop
        )
        calibrate(cfg, input_fn=scripted_calibration(sim, device))


def test_calibrate_cli_flow_writes_files(so100_sims, caplog):
    with caplog.at_level("WARNING"):
        calibrate_both(*so100_sims)
    assert not [r for r in caplog.records if "not calibrated" in r.getMessage()]  # calibrating it right now
    for sub, dev_type, dev_id in (("robots", "so100_follower", "f"), ("teleoperators", "so100_leader", "l")):
        data = json.loads((calibration_root() / sub / dev_type / f"{dev_id}.json").read_text())
        assert data["wrist_roll"]["range_max"] == 4095 and data["gripper"]["range_min"] == 1000
    assert not any(so100_sims[0].torque_enabled(i) for i in range(1, 7))


def test_calibrate_needs_exactly_one_device():
    with pytest.raises(ValueError, match="exactly one device"):
        parse(CalibrateConfig, [])


def test_teleop_loop_follows_and_reports_stats(so100_sims):
    follower_sim, leader_sim = so100_sims
    calibrate_both(follower_sim, leader_sim)
    robot = make_robot_from_config(
        parse(
            CalibrateConfig,
            ["--robot.type=so100_follower", f"--robot.port={follower_sim.port}", "--robot.id=f"],
        ).robot
    )
    teleop = make_teleoperator_from_config(
        parse(
            CalibrateConfig,
            ["--teleop.type=so100_leader", f"--teleop.port={leader_sim.port}", "--teleop.id=l"],
        ).teleop
    )
    leader_sim.set_present(2, 2500)
    with teleop, robot:
        stats = teleop_loop(teleop, robot, fps=100, max_steps=30)
        assert stats["ticks"] == 30 and 0 < stats["work_p50_ms"] <= stats["work_p99_ms"]
        deadline = time.monotonic() + 2
        while abs(follower_sim.present(2) - 2500) > 2 and time.monotonic() < deadline:
            teleop_loop(teleop, robot, fps=None, max_steps=1)
            time.sleep(0.01)
    assert abs(follower_sim.present(2) - 2500) <= 2


def test_teleoperate_cli_end_to_end(so100_sims):
    follower_sim, leader_sim = so100_sims
    calibrate_both(follower_sim, leader_sim)
    leader_sim.set_present(3, 1800)
    cmd = [
        sys.executable, "-m", "lerobot.scripts.lerobot_teleoperate",
        "--robot.type=so100_follower", f"--robot.port={follower_sim.port}", "--robot.id=f",
        "--teleop.type=so100_leader", f"--teleop.port={leader_sim.port}", "--teleop.id=l",
        "--fps=50", "--teleop_time_s=1",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Loop stats" in out.stdout and "'ticks'" in out.stdout
    assert abs(follower_sim.present(3) - 1800) <= 2
    assert not any(follower_sim.torque_enabled(i) for i in range(1, 7))


def test_setup_motors_one_at_a_time():
    sim = make_sim("so100_leader")
    sim.plug([])
    done = []

    def plug_next_motor(prompt: str) -> str:
        # The user connects one factory-new motor (id 1, 1 Mbps) to the board.
        assert "motor only" in prompt
        done.extend(sim.plug([SimMotor(1, "sts3215", baudrate=500_000)]))
        return ""

    try:
        setup_motors(
            parse(SetupConfig, ["--teleop.type=so100_leader", f"--teleop.port={sim.port}"]), plug_next_motor
        )
    finally:
        sim.stop()
    done.extend(sim.motors.values())
    assert [m.id for m in done] == [6, 5, 4, 3, 2, 1]
    assert all(m.baudrate == 1_000_000 for m in done)


def test_find_port():
    states = iter([{"/dev/ttyACM0", "/dev/ttyACM1"}, {"/dev/ttyACM1"}])
    assert find_port(input_fn=lambda p: "", ports_fn=lambda: next(states), settle_s=0) == "/dev/ttyACM0"
    with pytest.raises(OSError, match="no port disappeared"):
        find_port(input_fn=lambda p: "", ports_fn=lambda: {"/dev/ttyACM0"}, settle_s=0)


def test_loop_timer_counts_late_ticks():
    timer = LoopTimer(fps=200)
    for _ in range(3):
        timer.start_tick()
        time.sleep(0.006)  # longer than the 5 ms period: always late
        timer.end_tick()
    assert timer.stats()["late_share"] == 1.0 and timer.warn_if_slow()
    with pytest.raises(ValueError, match="fps must be positive"):
        LoopTimer(0)


def test_connecting_an_uncalibrated_arm_outside_calibration_warns(so100_sims, caplog):
    robot = make_robot_from_config(
        parse(CalibrateConfig, ["--robot.type=so100_follower", f"--robot.port={so100_sims[0].port}"]).robot
    )
    with caplog.at_level("WARNING"):
        robot.connect(calibrate=False)
    robot.disconnect()
    assert any("is not calibrated" in r.getMessage() for r in caplog.records)
