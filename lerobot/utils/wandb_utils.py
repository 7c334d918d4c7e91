"""Optional Weights & Biases logging (`pip install 'lerobot[wandb]'`); `--wandb.mode=offline` needs no network."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class WandBLogger:
    """Thin wrapper: `log_dict(metrics, step, mode="train")` logs under `train/` or `eval/`."""

    def __init__(self, cfg) -> None:
        try:
            import wandb
        except ModuleNotFoundError as e:
            raise ModuleNotFoundError(
                "--wandb.enable=true needs the wandb package: pip install 'lerobot[wandb]' "
                "(or run with --wandb.enable=false)."
            ) from e
        self._wandb = wandb
        wb = cfg.wandb
        os.environ.setdefault("WANDB_SILENT", "true")
        self.run = wandb.init(
            id=wb.run_id,
            project=wb.project,
            entity=wb.entity,
            notes=wb.notes,
            name=cfg.job_name,
            dir=str(cfg.output_dir),
            config=cfg.to_dict(),
            mode=wb.mode or "online",
            resume="must" if cfg.resume and wb.run_id else None,
            save_code=False,
        )
        wb.run_id = self.run.id
        self.disable_artifact = wb.disable_artifact
        logger.info("W&B run %s (mode %s), logs in %s", self.run.id, wb.mode or "online", cfg.output_dir)

    def log_dict(self, metrics: dict[str, Any], step: int, mode: str = "train") -> None:
        if mode not in ("train", "eval"):
            raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}.")
        data = {f"{mode}/{k}": v for k, v in metrics.items() if isinstance(v, (int, float, str))}
        self._wandb.log(data, step=step)

    def log_video(self, path: str | Path, fps: int, step: int) -> None:
        self._wandb.log({"eval/video": self._wandb.Video(str(path), fps=fps, format="mp4")}, step=step)

    def log_checkpoint(self, checkpoint_dir: Path) -> None:
        if self.disable_artifact:
            return
        name = f"{self.run.name}-{Path(checkpoint_dir).name}".replace("/", "_").replace(":", "_")
        artifact = self._wandb.Artifact(name, type="model")
        artifact.add_dir(str(Path(checkpoint_dir) / "pretrained_model"))
        self.run.log_artifact(artifact)

    def finish(self) -> None:
        self.run.finish()
