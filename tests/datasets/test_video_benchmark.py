"""Smoke test of benchmarks/dataloading.py on a tiny generated dataset: it runs end to end through the
writer, LeRobotDataset, DataLoader workers and the raw PyAV baseline, and prints every figure. No timing is
asserted (the machines are shared); the benchmark itself reports the numbers."""

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_dataloading_benchmark_runs(tmp_path):
    cmd = [sys.executable, str(REPO_ROOT / "benchmarks" / "dataloading.py"), "--root", str(tmp_path)]
    cmd += ["--sizes", "64x64", "--episodes", "2", "--length", "100", "--seconds", "0.05", "--repeats", "1"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = re.findall(
        r"^64x64\s+(yes|no)\s+(\d)\s+(float32|uint8)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", result.stdout, re.M
    )
    assert sorted((w, n, d) for w, n, d, *_ in rows) == sorted(
        [
            ("no", "0", "float32"),
            ("no", "2", "float32"),
            ("yes", "0", "float32"),
            ("yes", "2", "float32"),
            ("yes", "2", "uint8"),
        ]
    )
    assert all(float(loader) > 0 and float(raw) > 0 for *_, loader, raw, _ in rows)
    assert "target (96x96" not in result.stdout  # only printed when 96x96 was measured
