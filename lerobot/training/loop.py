"""The training run of `lerobot-train` (docs/cli.md; run folder: docs/checkpoints.md): data, policy,
optimizer, the step loop with its logs, checkpoints and evaluations in simulation, resume, Hub upload.

Batches come from an endless, seeded stream of shuffled frame indices (only frames the EpisodeAwareSampler
keeps when the policy sets `drop_n_last_frames`), so a resumed run sees exactly the batches an
uninterrupted run would (`lerobot/training/data.py`); each step is `update_policy`
(`lerobot/training/update.py`). Several processes (torchrun) train one DDP model; only the main process
logs, saves and evaluates.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from lerobot.configs.train import TrainPipelineConfig
from lerobot.training.data import ResumableBatchSampler, frame_indices, make_dataset
from lerobot.training.update import update_policy
from lerobot.utils.constants import PRETRAINED_MODEL_DIR, TRAINING_STATE_DIR
from lerobot.utils.distributed import DistributedContext
from lerobot.utils.logging_utils import MetricsTracker
from lerobot.utils.random_utils import get_rng_state, set_rng_state, set_seed
from lerobot.utils.train_utils import (
    get_step_checkpoint_dir,
    get_step_identifier,
    load_training_state,
    save_checkpoint,
    update_last_checkpoint,
)

logger = logging.getLogger("lerobot.train")

# One JSON object per log line / evaluation, in the output dir (plots, e.g. the demo's training curve).
TRAIN_METRICS_FILE = "train_metrics.jsonl"
EVAL_METRICS_FILE = "eval_metrics.jsonl"


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


# ----- evaluation (lerobot.evaluation.eval_policy) ---------------------------------------------------------
def evaluate(cfg: TrainPipelineConfig, env, policy, step: int) -> dict[str, Any]:
    """Roll out `eval.n_episodes` episodes; videos of up to 4 in eval/videos_step_<step>/. RNGs untouched."""
    from lerobot.evaluation.rollout import eval_policy

    rng = get_rng_state()  # evaluation must not change the training's random draws (exact resume)
    policy.eval()
    try:
        with torch.no_grad():
            result = eval_policy(
                env,
                policy,
                n_episodes=cfg.eval.n_episodes,
                max_steps=cfg.env.episode_length,
                start_seed=cfg.seed,
                videos_dir=cfg.output_dir / "eval" / f"videos_step_{get_step_identifier(step, cfg.steps)}",
                max_episodes_rendered=4,
                fps=int(env.metadata.get("render_fps") or cfg.env.fps),
                use_amp=cfg.policy.use_amp,
                progress=False,
            )
    finally:
        set_rng_state(rng)
        policy.train()
    return result


# ----- the run -------------------------------------------------------------------------------------------------
def resolve_resume(cfg: TrainPipelineConfig, config_path: str | None) -> None:
    """Check the output dir (new run) or find the checkpoint to continue from (`--resume=true`)."""
    if not cfg.resume:
        if cfg.output_dir.exists() and any(cfg.output_dir.iterdir()):
            raise FileExistsError(
                f"Output directory {cfg.output_dir} already exists and is not empty. Pass --resume=true "
                f"--config_path={cfg.output_dir}/checkpoints/last/pretrained_model/train_config.json to "
                "continue that run, or choose another --output_dir."
            )
        return
    if config_path is None or not Path(config_path).exists():
        raise FileNotFoundError(
            "--resume=true needs --config_path=<run>/checkpoints/last/pretrained_model/train_config.json "
            f"of the run to continue (got {config_path!r})."
        )
    path = Path(config_path)
    pretrained_dir = path.parent if path.is_file() else path
    checkpoint_dir = pretrained_dir.parent
    if pretrained_dir.name != PRETRAINED_MODEL_DIR or not (checkpoint_dir / TRAINING_STATE_DIR).is_dir():
        raise FileNotFoundError(
            f"--config_path={config_path} is not inside a checkpoint: expected "
            f"<run>/checkpoints/<step>/{PRETRAINED_MODEL_DIR}/train_config.json next to {TRAINING_STATE_DIR}/."
        )
    cfg.checkpoint_path = checkpoint_dir.resolve()
    cfg.policy.pretrained_path = str(cfg.checkpoint_path / PRETRAINED_MODEL_DIR)
    if cfg.output_dir is None:
        cfg.output_dir = cfg.checkpoint_path.parent.parent


def train(cfg: TrainPipelineConfig, config_path: str | None = None, progress: bool = True) -> Path:
    """Run the training described by `cfg`; returns the last checkpoint dir (or the output dir)."""
    from lerobot.policies.factory import make_policy

    dist = DistributedContext.from_env(cfg.policy.device)
    resolve_resume(cfg, config_path)
    cfg.apply_presets()
    set_seed(cfg.seed)
    dataset, ds_meta = make_dataset(cfg)

    env = None
    features_checked = False  # the policy/env feature check runs once: on the config if it has features
    if cfg.env is not None and cfg.eval_freq > 0 and dist.is_main:
        from lerobot.envs.factory import make_env
        from lerobot.evaluation.features import check_policy_matches_env

        if cfg.policy.input_features:  # before the env starts and the policy is built
            check_policy_matches_env(cfg.policy, cfg.env)
            features_checked = True
        env = make_env(cfg.env, n_envs=cfg.eval.batch_size, use_async_envs=cfg.eval.use_async_envs)

    policy = make_policy(cfg.policy, ds_meta=ds_meta)
    if env is not None and not features_checked:  # the features the factory gave the policy
        check_policy_matches_env(policy.config, cfg.env)
    optimizer = cfg.optimizer.build(policy.get_optim_params())
    lr_scheduler = cfg.scheduler.build(optimizer, cfg.steps) if cfg.scheduler is not None else None
    device = torch.device(policy.config.device)
    grad_scaler = torch.amp.GradScaler(device.type, enabled=cfg.policy.use_amp)

    step = 0
    if cfg.resume:
        step = load_training_state(cfg.checkpoint_path / TRAINING_STATE_DIR, optimizer, lr_scheduler)
        logger.info("Resuming from %s at step %d", cfg.checkpoint_path, step)
    model = dist.wrap(policy)
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    wandb_logger = None
    if cfg.wandb.enable and dist.is_main:
        from lerobot.utils.wandb_utils import WandBLogger

        wandb_logger = WandBLogger(cfg)

    sampler = ResumableBatchSampler(
        frame_indices(dataset, policy.config), cfg.batch_size, seed=cfg.seed or 0, start_batch=step,
        rank=dist.rank, world_size=dist.world_size,
    )  # fmt: skip
    # Each worker builds whole batches column-wise, decoding a batch's frames grouped by video file, each
    # frame once (lerobot/datasets/loading.py); the main process only receives the (uint8) batches.
    from lerobot.datasets.loading import make_dataloader

    dataloader = make_dataloader(
        dataset,
        sampler,
        num_workers=cfg.num_workers,
        pin_memory=device.type == "cuda",
        generator=torch.Generator().manual_seed(cfg.seed or 0),  # keeps the global RNG untouched
    )
    batches = iter(dataloader)

    n_params = sum(p.numel() for p in policy.parameters() if p.requires_grad)
    logger.info(
        "%s: %s policy (%.2fM trainable params), %d frames / %d episodes, %d steps of batch %d x %d process(es), "
        "output %s", cfg.job_name, policy.config.type, n_params / 1e6, dataset.num_frames,
        dataset.num_episodes, cfg.steps, cfg.batch_size, dist.world_size, cfg.output_dir,
    )  # fmt: skip
    tracker = MetricsTracker(cfg.batch_size * dist.world_size, dataset.num_frames, dataset.num_episodes, step)
    last_checkpoint = None
    bar = tqdm(total=cfg.steps, initial=step, desc="train", disable=not (progress and dist.is_main))
    while step < cfg.steps:
        start = time.perf_counter()
        batch = next(batches)
        dataloading_s = time.perf_counter() - start
        batch = {
            k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()
        }
        metrics = update_policy(
            policy, model, batch, optimizer, cfg.optimizer.grad_clip_norm, grad_scaler, lr_scheduler,
            use_amp=cfg.policy.use_amp,
        )  # fmt: skip
        step += 1
        tracker.step()
        tracker.update(dataloading_s=dataloading_s, **metrics)
        bar.update(1)
        bar.set_postfix(loss=f"{metrics['loss']:.3f}", refresh=False)
        if not dist.is_main:
            continue
        if step % cfg.log_freq == 0 or step == cfg.steps:
            logger.info(tracker.summary())
            append_jsonl(cfg.output_dir / TRAIN_METRICS_FILE, tracker.to_dict())
            if wandb_logger is not None:
                wandb_logger.log_dict(tracker.to_dict(), step)
            tracker.reset_averages()
        if cfg.save_checkpoint and (step % cfg.save_freq == 0 or step == cfg.steps):
            last_checkpoint = get_step_checkpoint_dir(cfg.output_dir, cfg.steps, step)
            save_checkpoint(last_checkpoint, step, cfg, policy, optimizer, lr_scheduler)
            update_last_checkpoint(last_checkpoint)
            logger.info("Checkpoint saved: %s", last_checkpoint)
            if wandb_logger is not None:
                wandb_logger.log_checkpoint(last_checkpoint)
        if env is not None and (step % cfg.eval_freq == 0 or step == cfg.steps):
            result = evaluate(cfg, env, policy, step)
            agg = result["aggregated"]
            logger.info(
                "eval step %d: avg_sum_reward %.3f, avg_max_reward %.3f, pc_success %.1f%%, eval_s %.1f, videos %s",
                step, agg["avg_sum_reward"], agg["avg_max_reward"], agg["pc_success"], agg["eval_s"],
                result["video_paths"],
            )  # fmt: skip
            append_jsonl(
                cfg.output_dir / EVAL_METRICS_FILE,
                {"step": step, **agg, "video_paths": result["video_paths"]},
            )
            if wandb_logger is not None:
                wandb_logger.log_dict(agg, step, mode="eval")
                if result["video_paths"]:
                    wandb_logger.log_video(result["video_paths"][0], cfg.env.fps, step)
    bar.close()
    if env is not None:
        env.close()
    if dist.is_main and cfg.policy.push_to_hub and cfg.policy.repo_id:
        push_policy_to_hub(policy, cfg)
    if wandb_logger is not None:
        wandb_logger.finish()
    dist.barrier()
    dist.close()
    logger.info("End of training")
    return last_checkpoint or cfg.output_dir


def push_policy_to_hub(policy, cfg: TrainPipelineConfig) -> None:
    """Upload the final weights, config and train_config.json to `--policy.repo_id` (opt-in)."""
    import tempfile

    from huggingface_hub import HfApi

    api = HfApi()
    repo_id = api.create_repo(cfg.policy.repo_id, private=cfg.policy.private, exist_ok=True).repo_id
    with tempfile.TemporaryDirectory() as tmp:
        policy.save_pretrained(tmp)
        (Path(tmp) / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=4) + "\n")
        api.upload_folder(repo_id=repo_id, folder_path=tmp, commit_message="Upload policy weights, config")
    logger.info("Pushed the policy to https://huggingface.co/%s", repo_id)
