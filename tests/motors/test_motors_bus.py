"""Motor buses on the real vendor SDKs against the simulated bus: access by name, retries, faults."""

import re
import subprocess
import sys
import threading
import time

import pytest

from lerobot.motors import Motor, MotorBusError, MotorCalibration, MotorNormMode
from lerobot.motors.sim_bus import SimMotor, SimulatedServoBus
from tests.motors.conftest import VENDORS, make_bus


def test_handshake_reads_model_numbers(bus, sim):
    assert bus.is_connected
    for name, motor in bus.motors.items():
        assert bus.ping(motor.id) == bus.model_number_table[motor.model], name


def test_read_write_roundtrip_including_signed_registers(bus, sim):
    bus.write("Homing_Offset", "m1", -321, normalize=False)
    assert bus.read("Homing_Offset", "m1", normalize=False) == -321
    bus.write("Return_Delay_Time", "m2", 0, normalize=False)
    assert bus.read("Return_Delay_Time", "m2", normalize=False) == 0
    bus.sync_write("Min_Position_Limit", {"m1": 10, "m2": 20, "m3": 30}, normalize=False)
    assert bus.sync_read("Min_Position_Limit", normalize=False) == {"m1": 10, "m2": 20, "m3": 30}


def test_goal_position_moves_only_with_torque(bus, sim):
    start = bus.sync_read("Present_Position", normalize=False)
    bus.sync_write("Goal_Position", {"m1": 1000, "m2": 3000, "m3": 2500}, normalize=False)
    time.sleep(0.05)
    assert bus.sync_read("Present_Position", normalize=False) == start  # torque off: nothing moves
    bus.enable_torque()
    assert all(sim.torque_enabled(i) for i in (1, 2, 3))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if bus.sync_read("Present_Position", normalize=False) == {"m1": 1000, "m2": 3000, "m3": 2500}:
            break
        time.sleep(0.02)
    assert bus.sync_read("Present_Position", normalize=False) == {"m1": 1000, "m2": 3000, "m3": 2500}
    bus.disconnect()
    assert not any(sim.torque_enabled(i) for i in (1, 2, 3))


def test_unknown_register_and_motor_are_named(bus):
    with pytest.raises(KeyError, match="Present_Postion.*Did you mean 'Present_Position'"):
        bus.read("Present_Postion", "m1")
    with pytest.raises(KeyError, match="Unknown motor 'elbow'"):
        bus.read("Present_Position", "elbow")


def test_normalized_access_needs_calibration(bus):
    with pytest.raises(RuntimeError, match="no calibration"):
        bus.read("Present_Position", "m1")


@pytest.mark.parametrize("kind", ["corrupt", "timeout"])
def test_faults_are_retried(bus, sim, kind):
    sim.inject_fault(kind, motor_id=2, count=2)
    assert bus.read("Present_Position", "m2", normalize=False) == sim.present(2)
    sim.inject_fault(kind, motor_id=3, count=2)
    assert bus.sync_read("Present_Position", normalize=False)["m3"] == sim.present(3)


@pytest.mark.parametrize("kind", ["corrupt", "timeout"])
def test_persistent_faults_name_port_id_and_register(bus, sim, kind):
    sim.inject_fault(kind, motor_id=2, count=50, register="Present_Position")
    with pytest.raises(MotorBusError) as err:
        bus.read("Present_Position", "m2", normalize=False)
    msg = str(err.value)
    assert sim.port in msg and "motor id 2" in msg and "'Present_Position'" in msg
    assert f"after {bus.num_retries + 1} tries" in msg
    with pytest.raises(MotorBusError) as err:
        bus.sync_read("Present_Position", normalize=False, num_retries=1)
    msg = str(err.value)
    assert sim.port in msg and "id 2 ('m2')" in msg and "'Present_Position'" in msg
    sim.clear_faults()
    assert bus.read("Present_Position", "m2", normalize=False) == sim.present(2)


def test_handshake_reports_missing_motor(vendor):
    cls, models = VENDORS[vendor]
    with SimulatedServoBus.from_models(models[:2]) as sim:
        bus = make_bus(vendor, sim.port, num_retries=0)
        with pytest.raises(MotorBusError, match=re.escape("Missing: [\"'m3' (id 3)\"]")):
            bus.connect()
        assert not bus.is_connected


def test_eeprom_locked_while_torque_on_dynamixel():
    with SimulatedServoBus.from_models(VENDORS["dynamixel"][1]) as sim:
        bus = make_bus("dynamixel", sim.port, num_retries=2)  # the access error comes back every time
        with bus:
            bus.enable_torque("m1")
            with pytest.raises(MotorBusError, match="'Homing_Offset'.*motor id 1"):
                bus.write("Homing_Offset", "m1", 5, normalize=False)
            with bus.torque_disabled("m1"):
                bus.write("Homing_Offset", "m1", 5, normalize=False)
            assert bus.read("Homing_Offset", "m1", normalize=False) == 5
            assert sim.torque_enabled(1)


def test_setup_motor_sets_id_and_baudrate(vendor):
    cls, models = VENDORS[vendor]
    fresh = SimMotor(1, models[1][1], baudrate=57_600)  # factory id 1 at 57600 bps
    with SimulatedServoBus([fresh]) as sim:
        bus = make_bus(vendor, sim.port)
        bus.connect(handshake=False)
        bus.setup_motor("m3")
        assert fresh.id == 3 and fresh.baudrate == 1_000_000
        assert bus.ping(3) == bus.model_number_table[models[2][1]]
        bus.disconnect(disable_torque=False)  # only one of the three configured motors is on the bus


def test_setup_motor_refuses_several_motors(vendor, sim):
    bus = make_bus(vendor, sim.port)
    bus.connect(handshake=False)
    with pytest.raises(MotorBusError, match="found 3 motors"):
        bus.setup_motor("m1")
    bus.disconnect(disable_torque=False)


def test_half_turn_homing_and_ranges(bus, sim):
    sim.set_present(1, 1234)
    offsets = bus.set_half_turn_homings(["m1"])
    assert bus.read("Present_Position", "m1", normalize=False) == 2047
    assert bus.read("Homing_Offset", "m1", normalize=False) == offsets["m1"]
    calls = iter([1500, 2600, None])

    def stop():
        pos = next(calls)
        if pos is None:
            return True
        sim.set_present(1, pos)
        return False

    mins, maxes = bus.record_ranges_of_motion(["m1"], stop=stop, poll_s=0)
    assert (mins["m1"], maxes["m1"]) == (1500, 2600)


@pytest.mark.parametrize(
    ("mode", "drive", "raw", "expected"),
    [
        (MotorNormMode.DEGREES, 0, 2047, None),
        (MotorNormMode.DEGREES, 0, 3071, None),
        (MotorNormMode.DEGREES, 1, 1023, None),
        (MotorNormMode.RANGE_M100_100, 0, 1000, -100.0),
        (MotorNormMode.RANGE_M100_100, 1, 1000, 100.0),
        (MotorNormMode.RANGE_M100_100, 0, 2000, 0.0),
        (MotorNormMode.RANGE_0_100, 0, 3000, 100.0),
        (MotorNormMode.RANGE_0_100, 1, 3000, 0.0),
        (MotorNormMode.RANGE_0_100, 0, 5000, 100.0),  # clamped to the range
    ],
)
def test_normalization_formulas(mode, drive, raw, expected):
    from lerobot.motors.feetech import FeetechMotorsBus

    calib = {"j": MotorCalibration(id=1, drive_mode=drive, homing_offset=0, range_min=1000, range_max=3000)}
    if mode is MotorNormMode.DEGREES:
        calib = {"j": MotorCalibration(id=1, drive_mode=drive, homing_offset=0, range_min=0, range_max=4094)}
        expected = (raw - 2047) * 360 / 4095 * (-1 if drive else 1)  # mid = 2047, resolution - 1 = 4095
    bus = FeetechMotorsBus("/dev/null", {"j": Motor(1, "sts3215", mode)}, calibration=calib)
    assert bus._normalize({"j": raw})["j"] == pytest.approx(expected)
    if raw <= 3000:
        assert bus._unnormalize({"j": expected})["j"] == raw


def test_calibration_validates():
    with pytest.raises(ValueError, match="range_max .* must be greater"):
        MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=10, range_max=10)
    with pytest.raises(ValueError, match="drive_mode must be 0 or 1"):
        MotorCalibration(id=1, drive_mode=2, homing_offset=0, range_min=0, range_max=10)


def test_bus_validates_motors():
    from lerobot.motors.feetech import FeetechMotorsBus

    with pytest.raises(ValueError, match="unknown feetech model 'sts9999'"):
        FeetechMotorsBus("/dev/null", {"a": Motor(1, "sts9999", MotorNormMode.DEGREES)})
    with pytest.raises(ValueError, match="ids must be unique"):
        FeetechMotorsBus(
            "/dev/null",
            {
                "a": Motor(1, "sts3215", MotorNormMode.DEGREES),
                "b": Motor(1, "sts3215", MotorNormMode.DEGREES),
            },
        )


def test_open_missing_port_is_clear():
    bus = make_bus("feetech", "/dev/does-not-exist")
    with pytest.raises(MotorBusError, match="Could not open port '/dev/does-not-exist'"):
        bus.connect()


def test_dynamixel_crc_matches_vendor_sdk():
    import random

    from dynamixel_sdk import PacketHandler

    from lerobot.motors.sim_bus import dxl_crc

    ph = PacketHandler(2.0)
    rng = random.Random(0)
    for n in (1, 7, 64):
        data = [rng.randrange(256) for _ in range(n)]
        assert dxl_crc(bytes(data)) == ph.updateCRC(0, data, n)


def test_sim_bus_cli_process_serves_a_real_bus():
    proc = subprocess.Popen(
        [sys.executable, "-m", "lerobot.motors.sim_bus", "--robot", "so100_follower"],
        stdin=subprocess.DEVNULL,  # EOF on the console: it just serves
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = proc.stdout.readline().strip()
        assert port.startswith("/dev/")
        motors = {f"m{i}": Motor(i, "sts3215", MotorNormMode.DEGREES) for i in range(1, 7)}
        from lerobot.motors.feetech import FeetechMotorsBus

        with FeetechMotorsBus(port, motors) as bus:
            assert bus.sync_read("Present_Position", normalize=False) == {f"m{i}": 2048 for i in range(1, 7)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sim_rejects_mixed_protocols():
    with pytest.raises(ValueError, match="one protocol"):
        SimulatedServoBus.from_models([(1, "sts3215"), (2, "xl330-m288")])


def test_noisy_bus_still_works_with_retries(vendor):
    """5% corrupt and 5% dropped status packets at random: every access succeeds thanks to the retries."""
    cls, models = VENDORS[vendor]
    with SimulatedServoBus.from_models(models, seed=1, corrupt_rate=0.05, drop_rate=0.05) as sim:
        bus = make_bus(vendor, sim.port, num_retries=5)
        bus.connect()
        for i in range(40):
            bus.sync_write("Goal_Position", {"m1": 1000 + i, "m2": 2000, "m3": 3000}, normalize=False)
            assert bus.sync_read("Goal_Position", normalize=False) == {"m1": 1000 + i, "m2": 2000, "m3": 3000}
            assert bus.read("Goal_Position", "m1", normalize=False) == 1000 + i
        bus.disconnect(disable_torque=True)
        assert not any(sim.torque_enabled(i) for i in sim.motors)


def test_sweep_and_the_simulated_user():
    from lerobot.motors.sim_bus import SimulatedUser

    with (
        SimulatedServoBus.from_models([(1, "sts3215"), (2, "sts3215")]) as a,
        SimulatedServoBus.from_models([(1, "xl330-m288")]) as b,
    ):
        seen: dict[int, set[int]] = {1: set(), 2: set()}
        stop = threading.Event()

        def poll():  # what a range recorder sees
            while not stop.is_set():
                for i in seen:
                    seen[i].add(a.present(i))
                time.sleep(0.01)

        poller = threading.Thread(target=poll)
        poller.start()
        a.sweep(dwell_s=0.05)
        stop.set()
        poller.join()
        assert {1024, 3072, 2047} <= seen[1] and {1024, 3072, 2047} <= seen[2]
        b.sweep(positions=(10, 20), dwell_s=0)
        assert b.present(1) == 20
        with pytest.raises(ValueError, match=r"no motor with id \[7\]"):
            a.sweep([7])

        echoed: list[str] = []
        user = SimulatedUser({"main_follower": a, "main_leader": b}, echo=echoed.append)
        assert user("Press ENTER to use the calibration file of id 'main_follower' (...): ") == ""
        b.set_present(1, 100)
        user("Move all joints of main_leader KochLeader except [] through their entire range of motion, ...")
        assert b.present(1) == 2047 and "sweeping the joints on " + b.port in echoed[-1]
        with pytest.raises(ValueError, match="cannot tell which"):
            user("Move all joints of side_follower X through their entire range of motion")


def test_sim_bus_console_commands():
    from lerobot.motors.sim_bus import run_command

    with (
        SimulatedServoBus.from_models([(1, "sts3215")]) as left,
        SimulatedServoBus.from_models([(1, "sts3215")]) as right,
    ):
        out: list[str] = []
        run_command("set 1 1234 right", {"left": left, "right": right}, out.append)
        assert right.present(1) == 1234 and out[-1] == "motor 1 at 1234"
        run_command("set 1 1234", {"left": left, "right": right}, out.append)
        assert out[-1].startswith("name the bus")
        run_command("show", {"": left}, out.append)
        assert out[-1].startswith("motor 1: position ") and out[-1].endswith("torque False")
        run_command("set 9 10", {"": left}, out.append)
        assert out[-1].startswith("error: ")
        run_command("fly away", {"": left}, out.append)
        assert out[-1].startswith("unknown command 'fly away'") and "sweep [side]" in out[-1]


def test_sim_bus_cli_takes_commands_on_stdin():
    """`python -m lerobot.motors.sim_bus` in one terminal, `lerobot-calibrate` in another: typing `set`/`sweep`
    in the first moves the shafts the SDK reads."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lerobot.motors.sim_bus", "--motors", "1:sts3215,2:sts3215"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = proc.stdout.readline().strip()
        from lerobot.motors.feetech import FeetechMotorsBus

        motors = {f"m{i}": Motor(i, "sts3215", MotorNormMode.DEGREES) for i in (1, 2)}
        proc.stdin.write("set 2 1234\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "motor 2 at 1234"
        with FeetechMotorsBus(port, motors) as bus:
            assert bus.sync_read("Present_Position", normalize=False) == {"m1": 2048, "m2": 1234}
        proc.stdin.write("sweep\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "swept [1, 2]"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
