"""Smoke test of benchmarks/dataloading.py on a tiny generated dataset: it runs end to end through the
writer, LeRobotDataset, the training DataLoader (workers) and the raw PyAV baseline (several processes), and
prints every figure. No timing is asserted (the machines are shared); the benchmark itself reports them."""

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_dataloading_benchmark_runs(tmp_path):
    cmd = [sys.executable, str(REPO_ROOT / "benchmarks" / "dataloading.py"), "--root", str(tmp_path)]
    cmd += ["--sizes", "64x64", "--cameras", "2", "--workers", "0,2", "--episodes", "2", "--length", "100"]
    cmd += ["--seconds", "0.05", "--repeats", "1"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = re.findall(
        r"^64x64\s+(\d)\s+(yes|no)\s+(\d)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$",
        result.stdout,
        re.M,
    )
    assert sorted((c, w, n) for c, w, n, *_ in rows) == [
        ("2", "no", "0"),
        ("2", "no", "2"),
        ("2", "yes", "0"),
        ("2", "yes", "2"),
    ]
    assert all(
        float(v) > 0
        for *_, loader, raw, ratio, lcpu, rcpu, main_us in rows
        for v in (loader, raw, lcpu, rcpu)
    )
    assert "target (" not in result.stdout  # only printed for the target configurations
