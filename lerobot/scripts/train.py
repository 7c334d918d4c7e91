"""Train a policy on a LeRobot dataset (docs/cli.md; run folder: docs/checkpoints.md), with evaluation in simulation and checkpoints.

Usage (from a clone, or as the console script `lerobot-train` with the same flags):

    python lerobot/scripts/train.py --policy.type=diffusion --dataset.repo_id=lerobot/pusht \
        --env.type=pusht --steps=200000 --batch_size=64 --eval_freq=25000 --policy.push_to_hub=false
    # resume the run where its last checkpoint left it:
    python lerobot/scripts/train.py --resume=true \
        --config_path=outputs/train/<run>/checkpoints/last/pretrained_model/train_config.json
    # several GPUs / nodes: one process per GPU through torchrun (torch DDP), same flags:
    torchrun --nproc_per_node=4 lerobot/scripts/train.py --policy.type=act ...

Each step: `policy.train()` -> forward (autocast when `--policy.use_amp`) -> backward
through a GradScaler -> clip the grad norm to `optimizer.grad_clip_norm` -> optimizer step -> zero grads
-> scheduler step -> `policy.update()` if the policy has it. Batches come from an endless, seeded stream
of shuffled frame indices (only frames the EpisodeAwareSampler keeps when the policy sets
`drop_n_last_frames`), so a resumed run sees exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace
from typing import Any

if __package__ in (None, ""):  # `python lerobot/scripts/train.py` from a clone
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch
from tqdm import tqdm

from lerobot.configs.train import TrainPipelineConfig
from lerobot.utils.cli import command
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


# ----- data ---------------------------------------------------------------------------------------------
class ResumableBatchSampler(torch.utils.data.Sampler):
    """Endless batches from per-epoch permutations of `indices` (epoch e is shuffled with `seed + e`).

    The stream is cut into batches of `batch_size`; with `world_size` processes, global batch k goes to
    rank `k % world_size`. `start_batch` skips the batches already consumed (resume).
    """

    def __init__(
        self, indices, batch_size: int, seed: int, start_batch: int = 0, rank: int = 0, world_size: int = 1
    ):
        if len(indices) < 1:
            raise ValueError("The dataset has no frame to sample (after dropping the episode tails).")
        self.indices = torch.as_tensor(list(indices), dtype=torch.int64)
        self.batch_size, self.seed = batch_size, seed
        self.start_batch, self.rank, self.world_size = start_batch, rank, world_size

    def _stream(self, position: int):
        n = len(self.indices)
        epoch, offset = divmod(position, n)
        while True:
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed + epoch))
            yield from self.indices[perm[offset:]].tolist()
            epoch, offset = epoch + 1, 0

    def __iter__(self):
        k = self.start_batch * self.world_size + self.rank
        stream = self._stream(k * self.batch_size)
        while True:
            yield [next(stream) for _ in range(self.batch_size)]
            for _ in range((self.world_size - 1) * self.batch_size):  # the other ranks' batches
                next(stream)


def make_dataset(cfg: TrainPipelineConfig):
    """The training dataset (with the policy's time windows) and the metadata the policy is built from."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.datasets.transforms import ImageTransforms
    from lerobot.datasets.utils import resolve_delta_timestamps, with_imagenet_stats
    from lerobot.utils.dataset_root import resolve_dataset_root

    ds_cfg = cfg.dataset
    repo_id = ds_cfg.repo_id or Path(ds_cfg.root).name
    if ds_cfg.root is not None and not Path(ds_cfg.root).is_dir():
        raise FileNotFoundError(
            f"--dataset.root={ds_cfg.root} does not exist: give the folder of a LeRobot dataset (it holds "
            "meta/info.json), or drop --dataset.root to download --dataset.repo_id from the Hub."
        )
    root = resolve_dataset_root(repo_id, ds_cfg.root)  # the dataset folder or a folder holding <repo_id>/
    try:
        meta = LeRobotDatasetMetadata(repo_id, root, ds_cfg.revision)
    except (OSError, ValueError) as e:  # hub errors are OSErrors; bad metadata ValueErrors
        raise FileNotFoundError(
            f"--dataset.repo_id={repo_id}: cannot load the dataset ({type(e).__name__}: {e}). Give a Hub "
            "dataset id that exists (online), or --dataset.root=<local dataset folder>."
        ) from e
    transforms = ImageTransforms(ds_cfg.image_transforms) if ds_cfg.image_transforms.enable else None
    dataset = LeRobotDataset(
        repo_id,
        root=root,
        episodes=ds_cfg.episodes,
        image_transforms=transforms,
        delta_timestamps=resolve_delta_timestamps(cfg.policy, meta),
        revision=ds_cfg.revision,
        video_backend=ds_cfg.video_backend,
        # uint8 camera frames (4x fewer bytes from the workers); the policy's normalization turns them into
        # float `x / 255` on its device, the same values (lerobot/policies/normalize.py). The image
        # transforms work on float frames, so with them the dataset converts as before.
        return_uint8=transforms is None,
        meta=meta,  # read once, shared with the policy (below) and the sampler (through the dataset)
    )
    stats = meta.stats
    if ds_cfg.use_imagenet_stats and stats is not None:
        stats = with_imagenet_stats(stats, meta.camera_keys)
    return dataset, SimpleNamespace(features=meta.features, stats=stats, fps=meta.fps)


def frame_indices(dataset, policy_cfg) -> list[int]:
    """Indices of the frames to train on: all, or those the EpisodeAwareSampler keeps (`drop_n_last_frames`)."""
    from lerobot.datasets.sampler import EpisodeAwareSampler

    drop = getattr(policy_cfg, "drop_n_last_frames", 0)
    if not drop:
        return list(range(len(dataset)))
    return list(EpisodeAwareSampler(dataset.episode_data_index, drop_n_last_frames=drop, shuffle=False))


# ----- one optimizer step -----------------------------------------------------------------------------------
def update_policy(
    policy,
    model,
    batch: dict[str, Any],
    optimizer,
    grad_clip_norm: float,
    grad_scaler,
    lr_scheduler=None,
    use_amp=False,
) -> dict[str, Any]:
    """One training step; `model` is the policy itself or its DDP wrapper. Returns the step's metrics."""
    start = time.perf_counter()
    device_type = torch.device(policy.config.device).type
    policy.train()
    with torch.autocast(device_type=device_type) if use_amp else nullcontext():
        loss, info = model(batch)
    grad_scaler.scale(loss).backward()
    grad_scaler.unscale_(optimizer)
    grad_norm = torch.nn.utils.clip_grad_norm_(policy.parameters(), grad_clip_norm, error_if_nonfinite=False)
    grad_scaler.step(optimizer)
    grad_scaler.update()
    optimizer.zero_grad()
    if lr_scheduler is not None:
        lr_scheduler.step()
    if hasattr(policy, "update"):
        policy.update()
    metrics = {
        "loss": loss.item(),
        "grad_norm": float(grad_norm),
        "lr": optimizer.param_groups[0]["lr"],
        "update_s": time.perf_counter() - start,
    }
    metrics.update({k: v for k, v in (info or {}).items() if isinstance(v, (int, float))})
    return metrics


# ----- evaluation (reuses lerobot.scripts.eval.eval_policy) -----------------------------------------------
def evaluate(cfg: TrainPipelineConfig, env, policy, step: int) -> dict[str, Any]:
    """Roll out `eval.n_episodes` episodes; videos of up to 4 in eval/videos_step_<step>/. RNGs untouched."""
    from lerobot.scripts.eval import eval_policy

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
    if cfg.env is not None and cfg.eval_freq > 0 and dist.is_main:
        from lerobot.envs.factory import make_env
        from lerobot.scripts.eval import check_policy_matches_env

        check_policy_matches_env(cfg.policy, cfg.env) if cfg.policy.input_features else None
        env = make_env(cfg.env, n_envs=cfg.eval.batch_size, use_async_envs=cfg.eval.use_async_envs)

    policy = make_policy(cfg.policy, ds_meta=ds_meta)
    if env is not None:
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


def main(argv: list[str] | None = None) -> Path:
    """Console entry point (`lerobot-train`): parse the flags into TrainPipelineConfig and train."""
    from lerobot.configs.parser import parse, pop_arg

    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    args = list(sys.argv[1:] if argv is None else argv)
    config_path, _ = pop_arg(list(args), "config_path")
    cfg = parse(TrainPipelineConfig, args)
    return train(cfg, config_path=config_path)


# The console script `lerobot-train`: bad flags and inputs end in one `lerobot-train: error: ...` line (see
# lerobot/utils/cli.py); `--debug` shows the traceback.
cli = command("lerobot-train")(main)


if __name__ == "__main__":
    cli()
