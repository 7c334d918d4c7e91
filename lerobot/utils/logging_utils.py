"""Training metrics: running averages between two log lines, and the one-line console summary.

tracker = MetricsTracker(batch_size=8, num_frames=25650, num_episodes=206)
tracker.update(loss=0.5, grad_norm=3.1, lr=1e-4, update_s=0.2, dataloading_s=0.01)
tracker.step()
logger.info(tracker.summary())   # "step:200 smpl:1.6K ep:13 epch:0.06 loss:0.512 grdn:3.1 ..."
tracker.reset_averages()
"""

from __future__ import annotations

from typing import Any

SHORT_NAMES = {
    "loss": "loss",
    "grad_norm": "grdn",
    "lr": "lr",
    "update_s": "updt_s",
    "dataloading_s": "data_s",
}


class AverageMeter:
    """Mean of the values seen since the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sum = 0.0
        self.count = 0

    def update(self, value: float, n: int = 1) -> None:
        self.sum += float(value) * n
        self.count += n

    @property
    def avg(self) -> float:
        return self.sum / self.count if self.count else float("nan")


def _format_count(n: float) -> str:
    for unit, div in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.1f}{unit}"
    return f"{n:.0f}"


class MetricsTracker:
    """Step/sample/episode/epoch counters plus running averages of any named metric."""

    def __init__(self, batch_size: int, num_frames: int, num_episodes: int, initial_step: int = 0):
        self.batch_size = batch_size
        self.num_frames = max(1, num_frames)
        self.avg_frames_per_episode = self.num_frames / max(1, num_episodes)
        self.steps = initial_step
        self.meters: dict[str, AverageMeter] = {}

    @property
    def samples(self) -> int:
        return self.steps * self.batch_size

    @property
    def episodes(self) -> float:
        return self.samples / self.avg_frames_per_episode

    @property
    def epochs(self) -> float:
        return self.samples / self.num_frames

    def step(self) -> None:
        self.steps += 1

    def update(self, **values: Any) -> None:
        for name, value in values.items():
            if isinstance(value, (int, float)) or (hasattr(value, "item") and getattr(value, "ndim", 1) == 0):
                self.meters.setdefault(name, AverageMeter()).update(float(value))

    def reset_averages(self) -> None:
        for meter in self.meters.values():
            meter.reset()

    def to_dict(self) -> dict[str, float]:
        """Counters and averages (what goes to W&B under `train/`)."""
        out = {"steps": self.steps, "samples": self.samples, "episodes": self.episodes, "epochs": self.epochs}
        out.update({name: meter.avg for name, meter in self.meters.items() if meter.count})
        return out

    def summary(self) -> str:
        parts = [
            f"step:{_format_count(self.steps)}",
            f"smpl:{_format_count(self.samples)}",
            f"ep:{_format_count(self.episodes)}",
            f"epch:{self.epochs:.2f}",
        ]
        for name, meter in self.meters.items():
            if meter.count:
                value = meter.avg
                text = f"{value:.1e}" if name == "lr" else f"{value:.3f}"
                parts.append(f"{SHORT_NAMES.get(name, name)}:{text}")
        return " ".join(parts)
