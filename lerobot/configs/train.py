"""Configs of `lerobot-train` (docs/cli.md): `TrainPipelineConfig`, `DatasetConfig`, `WandBConfig`.

    python lerobot/scripts/train.py --policy.type=act --dataset.repo_id=lerobot/aloha_sim_transfer_cube_human \
        --env.type=aloha --steps=100000 --batch_size=8

Validation that needs no files happens at construction (`__post_init__`); `validate()` is called by the
training script and checks the file system (existing output dir without `--resume`, resume sources).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from lerobot.configs.eval import EvalConfig
from lerobot.configs.policies import PreTrainedConfig
from lerobot.datasets.transforms import ImageTransformsConfig
from lerobot.envs.configs import EnvConfig
from lerobot.optim.optimizers import OptimizerConfig
from lerobot.optim.schedulers import LRSchedulerConfig


@dataclass
class DatasetConfig:
    """Which dataset to train on."""

    # Hub repository id "user/name" (also the local folder name under $HF_LEROBOT_HOME unless --dataset.root).
    repo_id: str | None = None
    # Local dataset folder (default: $HF_LEROBOT_HOME/<repo_id>).
    root: str | None = None
    # Episode indices to train on, e.g. "[0,1,2]"; None = every episode.
    episodes: list[int] | None = None
    # Camera-frame augmentation (--dataset.image_transforms.enable=true).
    image_transforms: ImageTransformsConfig = field(default_factory=ImageTransformsConfig)
    # Dataset revision (git tag/branch) on the Hub.
    revision: str | None = None
    # Normalise camera features with ImageNet mean/std instead of the dataset's (docs/dataset_format.md).
    use_imagenet_stats: bool = True
    # Video decoder backend (None = the default one).
    video_backend: str | None = None

    def __post_init__(self):
        if self.episodes is not None and not self.episodes:
            raise ValueError("--dataset.episodes=[] selects nothing; omit the flag to use every episode.")


@dataclass
class WandBConfig:
    """Weights & Biases logging (optional: `pip install wandb`)."""

    # Log to W&B.
    enable: bool = False
    # Do not upload checkpoints as W&B artifacts.
    disable_artifact: bool = False
    # W&B project name.
    project: str = "lerobot"
    # W&B entity (user or team).
    entity: str | None = None
    # Notes attached to the run.
    notes: str | None = None
    # Run id to resume (set automatically when training resumes).
    run_id: str | None = None
    # "online", "offline" (no network; sync later with `wandb sync`) or "disabled".
    mode: str | None = None

    def __post_init__(self):
        if self.mode not in (None, "online", "offline", "disabled"):
            raise ValueError(f"--wandb.mode must be online, offline or disabled, got {self.mode!r}.")


@dataclass
class TrainPipelineConfig:
    """Train a policy on a LeRobot dataset, optionally evaluating it in simulation along the way."""

    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    # Simulation env for evaluation during training (--env.type=pusht|aloha|xarm); None = no evaluation.
    env: EnvConfig | None = None
    # The policy: --policy.type=<name> (new) or --policy.path=<pretrained dir | hub id> (fine-tune).
    policy: PreTrainedConfig | None = None
    # Run folder; default outputs/train/YYYY-MM-DD/HH-MM-SS_<job_name>.
    output_dir: Path | None = None
    # Run name; default <env.type>_<policy.type> or <policy.type>.
    job_name: str | None = None
    # Continue the run of --config_path=<run>/checkpoints/last/pretrained_model/train_config.json.
    resume: bool = False
    # Seed of torch/numpy/random (and of the evaluation episodes); None = unseeded.
    seed: int | None = 1000
    # DataLoader worker processes (0 = load in the training process).
    num_workers: int = 4
    # Samples per optimizer step (per process when distributed).
    batch_size: int = 8
    # Total optimizer steps.
    steps: int = 100_000
    # Evaluate every N steps (needs --env.type); 0 = never.
    eval_freq: int = 20_000
    # Log every N steps.
    log_freq: int = 200
    # Save checkpoints.
    save_checkpoint: bool = True
    # Save a checkpoint every N steps (and at the last step).
    save_freq: int = 20_000
    # Use the policy's optimizer/scheduler presets (else --optimizer.type / --scheduler.type are needed).
    use_policy_training_preset: bool = True
    # Optimizer (when not using the preset): --optimizer.type=adam|adamw|sgd.
    optimizer: OptimizerConfig | None = None
    # LR scheduler (when not using the preset): --scheduler.type=diffuser|vqbet|cosine_decay_with_warmup.
    scheduler: LRSchedulerConfig | None = None
    # Evaluation settings (--eval.n_episodes, --eval.batch_size, --eval.use_async_envs).
    eval: EvalConfig = field(default_factory=EvalConfig)
    wandb: WandBConfig = field(default_factory=WandBConfig)
    # Where the run was resumed from (set by the script; not a flag to pass).
    checkpoint_path: Path | None = None

    def __post_init__(self):
        if self.policy is None:
            raise ValueError(
                "--policy.type=<name> or --policy.path=<pretrained dir | hub id> is required, e.g. "
                f"--policy.type=act (known types: {PreTrainedConfig.known_types()})."
            )
        if not self.dataset.repo_id and not self.dataset.root:
            raise ValueError(
                "--dataset.repo_id is required (a Hub id such as lerobot/pusht, or any name together with "
                "--dataset.root=<local dataset folder>)."
            )
        for name in ("steps", "batch_size", "log_freq", "save_freq"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"--{name} must be a positive integer, got {value!r}.")
        for name in ("num_workers", "eval_freq"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"--{name} must be a non-negative integer, got {value!r}.")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"--seed must be a non-negative integer, got {self.seed!r}.")
        if not self.use_policy_training_preset and self.optimizer is None:
            raise ValueError(
                "--use_policy_training_preset=false needs --optimizer.type=adam|adamw|sgd "
                "(and optionally --scheduler.type)."
            )
        if self.job_name is None:
            self.job_name = f"{self.env.type}_{self.policy.type}" if self.env else self.policy.type
        if self.output_dir is None and not self.resume:
            now = dt.datetime.now()
            self.output_dir = (
                Path("outputs/train") / now.strftime("%Y-%m-%d") / f"{now:%H-%M-%S}_{self.job_name}"
            )
        if self.output_dir is not None:
            self.output_dir = Path(self.output_dir)
        if self.checkpoint_path is not None:
            self.checkpoint_path = Path(self.checkpoint_path)

    def apply_presets(self) -> None:
        """Fill optimizer/scheduler from the policy presets (when `use_policy_training_preset`)."""
        if self.use_policy_training_preset and self.optimizer is None:
            self.optimizer = self.policy.get_optimizer_preset()
            self.scheduler = self.policy.get_scheduler_preset()

    def to_dict(self) -> dict:
        """The train_config.json content (draccus encoding, `type` keys for the choice fields)."""
        import draccus

        data = draccus.encode(self)
        # Local paths are saved absolute, so that `--config_path=<run>/.../train_config.json` works from any
        # working directory (a relative --dataset.root would otherwise resolve against the new one).
        for section, key in ((data.get("dataset"), "root"), (data, "output_dir"), (data, "checkpoint_path")):
            if isinstance(section, dict) and isinstance(section.get(key), str):
                section[key] = str(Path(section[key]).expanduser().absolute())
        policy = data.get("policy")
        if isinstance(policy, dict) and isinstance(policy.get("pretrained_path"), str):
            path = Path(policy["pretrained_path"]).expanduser()
            if path.exists():  # a local folder, not a Hub id
                policy["pretrained_path"] = str(path.absolute())
        return data
