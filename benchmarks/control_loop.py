"""Control-loop timing: record at 30 fps with two 640x480 file cameras on simulated SO-100 buses.

    python benchmarks/control_loop.py                       # 2 episodes of 10 s, h264 and the AV1 default
    python benchmarks/control_loop.py --episode-time-s 5 --vcodec libsvtav1
    python benchmarks/control_loop.py --vcodec h264 --streaming   # encode while recording (no PNGs)

Measured on the shared 2-core machine (load average 10-12, 8 s episodes): teleop-only p50 4-8 ms, p99
24-28 ms, 0.4 % late; recording with h264 streaming encoding 29 fps, p50 15 ms, p99 62-68 ms, 7-13 %
late; AV1 streaming 13 fps; the PNG-then-encode default 12-24 fps with p99 ~300 ms.

The follower and leader buses run as separate processes (`python -m lerobot.motors.sim_bus`), like
USB adapters; the real Feetech SDK talks to them over ptys. The cameras are OpenCV on generated mp4 files
(paced at their fps by the reader threads). For each configuration it prints, per recorded episode, the
tick work time p50/p99 (everything a tick does: read motors + cameras, send the action, add the frame)
and the share of late ticks (work longer than the 33.3 ms period), and as a baseline measured in the same
run the same figures for teleoperation alone (no dataset). `ratio` = recording p99 / teleop p99.
Figures are noisy on a shared machine: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np


def make_video(path: Path, width: int, height: int, n_frames: int = 60, fps: int = 30) -> Path:
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        base = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        for i in range(n_frames):
            img = np.roll(base, 8 * i, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def start_sim(robot: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lerobot.motors.sim_bus", "--robot", robot], stdout=subprocess.PIPE, text=True
    )
    return proc, proc.stdout.readline().strip()


def write_calibration(device) -> None:
    """Calibrate without a user: offsets 0 and ranges 1000..3000 written to the motors and the file."""
    from lerobot.motors.motors_bus import MotorCalibration

    calib = {
        name: MotorCalibration(id=m.id, drive_mode=0, homing_offset=0, range_min=1000, range_max=3000)
        for name, m in device.bus.motors.items()
    }
    device.bus.connect()
    device.bus.disable_torque()
    device.bus.write_calibration(calib)
    device.bus.disconnect()
    device.calibration = calib
    device._save_calibration()


def run(args: argparse.Namespace, work: Path) -> None:
    from lerobot.configs.parser import parse
    from lerobot.recording import RecordConfig, TeleoperateConfig, new_events, record, record_loop
    from lerobot.robots import make_robot_from_config
    from lerobot.teleoperators import make_teleoperator_from_config

    videos = [make_video(work / f"cam{i}.mp4", args.width, args.height) for i in range(2)]
    cams = ", ".join(
        f"cam{i}: {{type: opencv, index_or_path: {v}, width: {args.width}, height: {args.height}, fps: {args.fps}, warmup_s: 0}}"
        for i, v in enumerate(videos)
    )
    sims = [start_sim("so100_follower"), start_sim("so100_leader")]
    try:
        (_, fport), (_, lport) = sims
        robot_args = [
            "--robot.type=so100_follower",
            f"--robot.port={fport}",
            "--robot.id=bench",
            f"--robot.cameras={{{cams}}}",
        ]
        teleop_args = ["--teleop.type=so100_leader", f"--teleop.port={lport}", "--teleop.id=bench"]
        tcfg = parse(TeleoperateConfig, robot_args + teleop_args)
        robot, teleop = make_robot_from_config(tcfg.robot), make_teleoperator_from_config(tcfg.teleop)
        write_calibration(robot)
        write_calibration(teleop)
        # Baseline: teleoperation with camera reads, no dataset.
        robot, teleop = make_robot_from_config(tcfg.robot), make_teleoperator_from_config(tcfg.teleop)
        with robot, teleop:
            base = record_loop(robot, teleop, new_events(), args.fps, args.episode_time_s)
        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(f"{'config':<28}{'ticks':>7}{'p50 ms':>9}{'p99 ms':>9}{'late %':>8}{'fps':>7}{'ratio':>7}")
        fmt = "{:<28}{:>7}{:>9.1f}{:>9.1f}{:>8.1f}{:>7.1f}{:>7}"
        print(
            fmt.format(
                "teleop only (baseline)",
                base["ticks"],
                base["work_p50_ms"],
                base["work_p99_ms"],
                100 * base["late_share"],
                base["achieved_fps"],
                "1.00",
            )
        )
        for vcodec in args.vcodec:
            root = work / f"ds_{vcodec}"
            rcfg = parse(
                RecordConfig,
                robot_args + teleop_args + [
                    "--dataset.repo_id=bench/control_loop", f"--dataset.root={root}", "--dataset.single_task=bench",
                    f"--dataset.fps={args.fps}", f"--dataset.episode_time_s={args.episode_time_s}", "--dataset.reset_time_s=1",
                    f"--dataset.num_episodes={args.episodes}", "--dataset.push_to_hub=false", "--play_sounds=false", "--keyboard=none",
                    f"--dataset.vcodec={vcodec}", f"--dataset.streaming_encoding={str(args.streaming).lower()}",
                    f"--dataset.encoder_niceness={args.niceness}",
                ],
            )  # fmt: skip
            _, stats = record(rcfg)
            for i, s in enumerate(stats):
                ratio = s["work_p99_ms"] / base["work_p99_ms"]
                print(
                    fmt.format(
                        f"record {vcodec} ep{i}",
                        s["ticks"],
                        s["work_p50_ms"],
                        s["work_p99_ms"],
                        100 * s["late_share"],
                        s["achieved_fps"],
                        f"{ratio:.2f}",
                    )
                )
    finally:
        for proc, _ in sims:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episode-time-s", type=float, default=10.0)
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--vcodec", nargs="+", default=["h264", "libsvtav1"])
    parser.add_argument(
        "--streaming", action="store_true", help="encode while recording (--dataset.streaming_encoding)"
    )
    parser.add_argument("--niceness", type=int, default=10, help="--dataset.encoder_niceness")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HF_LEROBOT_CALIBRATION"] = str(Path(tmp) / "calibration")
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
