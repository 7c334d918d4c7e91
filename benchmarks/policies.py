"""Policy speed at default config: training-step time (batch 8) and `select_action` latency (batch 1).

    python benchmarks/policies.py                       # every policy in CASES, CPU
    python benchmarks/policies.py --policies act --repeats 5 --device cuda

Per policy it prints the parameter count and, each as the median over `--repeats` timed runs after one
warm-up run:
- train step: `policy.forward(batch)` + backward + optimizer step (the policy's preset optimizer);
- select_action: one call that runs the model (the queue is emptied by `reset()` first), raw observation
  in, env-space action out (normalization, queues and unnormalization included);
and ratios against a baseline measured in the same run on the same inputs: the bare network call
(`predict_action_chunk_normalized` under no_grad for inference, `forward_normalized` + backward for
training), so the ratio shows what the framework (normalization, checks, queues) adds.

A policy joins the benchmark with one entry in CASES: features like its usual dataset, config overrides.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.factory import get_policy_class, make_policy_config

ALOHA = {
    "observation.images.top": PolicyFeature(FeatureType.VISUAL, (3, 480, 640)),
    "observation.state": PolicyFeature(FeatureType.STATE, (14,)),
}
PUSHT = {
    "observation.image": PolicyFeature(FeatureType.VISUAL, (3, 96, 96)),
    "observation.state": PolicyFeature(FeatureType.STATE, (2,)),
}
XARM = {
    "observation.image": PolicyFeature(FeatureType.VISUAL, (3, 84, 84)),
    "observation.state": PolicyFeature(FeatureType.STATE, (4,)),
}

# type -> (input features, action dim, config overrides); defaults otherwise (no ImageNet download).
CASES: dict[str, tuple[dict[str, PolicyFeature], int, dict]] = {
    "act": (ALOHA, 14, {"pretrained_backbone_weights": None}),
    "diffusion": (PUSHT, 2, {}),
    "tdmpc": (XARM, 4, {}),
    # n_vqvae_training_steps=0: the warm-up step ends the VQ-VAE phase, so the timed steps train the GPT.
    "vqbet": (PUSHT, 2, {"n_vqvae_training_steps": 0}),
}


def _stats(features: dict[str, PolicyFeature], action_dim: int) -> dict:
    stats = {}
    for key, ft in {**features, "action": PolicyFeature(FeatureType.ACTION, (action_dim,))}.items():
        shape = (ft.shape[0], 1, 1) if ft.type is FeatureType.VISUAL else ft.shape
        stats[key] = {
            "mean": torch.zeros(shape),
            "std": torch.ones(shape),
            "min": -torch.ones(shape),
            "max": torch.ones(shape),
        }
    return stats


def _batch(policy, batch_size: int, training: bool, device: str) -> dict:
    cfg = policy.config
    obs_t = cfg.observation_delta_indices if training else None
    batch = {}
    for key, ft in cfg.input_features.items():
        lead = (batch_size,) if obs_t is None else (batch_size, len(obs_t))
        batch[key] = torch.rand(lead + tuple(ft.shape), device=device)
        if obs_t is not None:
            batch[f"{key}_is_pad"] = torch.zeros(lead, dtype=torch.bool, device=device)
    if training:
        act_t = cfg.action_delta_indices
        lead = (batch_size,) if act_t is None else (batch_size, len(act_t))
        batch["action"] = torch.randn(lead + tuple(cfg.output_features["action"].shape), device=device)
        if act_t is not None:
            batch["action_is_pad"] = torch.zeros(lead, dtype=torch.bool, device=device)
        rew_t = cfg.reward_delta_indices
        if rew_t is not None:
            batch["next.reward"] = torch.randn((batch_size, len(rew_t)), device=device)
            batch["next.reward_is_pad"] = torch.zeros(
                (batch_size, len(rew_t)), dtype=torch.bool, device=device
            )
        batch["index"] = torch.arange(batch_size, device=device)
    return batch


def _time(fn, repeats: int, device: str) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(policy_type: str, repeats: int, device: str, train_batch: int) -> None:
    features, action_dim, overrides = CASES[policy_type]
    cfg = make_policy_config(
        policy_type,
        device=device,
        input_features=dict(features),
        output_features={"action": PolicyFeature(FeatureType.ACTION, (action_dim,))},
        **overrides,
    )
    torch.manual_seed(0)
    policy = get_policy_class(policy_type)(cfg, dataset_stats=_stats(features, action_dim)).to(device)
    n_params = sum(p.numel() for p in policy.parameters())
    optimizer = cfg.get_optimizer_preset().build(policy.get_optim_params())

    train_batch_raw = _batch(policy, train_batch, True, device)
    train_batch_norm = policy.normalize_batch(train_batch_raw)

    def train_step():
        policy.train()
        loss, _ = policy.forward(train_batch_raw)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    def train_baseline():
        policy.train()
        loss, _ = policy.forward_normalized(train_batch_norm)
        loss.backward()
        optimizer.zero_grad()

    obs = _batch(policy, 1, False, device)
    obs_norm = policy.normalize_batch(obs)

    def select_action():
        policy.eval()
        policy.reset()
        policy.select_action(obs)

    def infer_baseline():
        policy.eval()
        policy.reset()
        with torch.no_grad():
            if hasattr(policy, "_queues"):  # observation-queue policies read their queues
                policy.select_action_normalized(obs_norm)
            else:
                policy.predict_action_chunk_normalized(obs_norm)

    t_train = _time(train_step, repeats, device)
    t_train_base = _time(train_baseline, repeats, device)
    t_select = _time(select_action, repeats, device)
    t_select_base = _time(infer_baseline, repeats, device)
    print(
        f"{policy_type:10s} params {n_params / 1e6:8.2f}M | train step (B={train_batch}) {t_train * 1e3:9.1f} ms "
        f"(x{t_train / t_train_base:.2f} vs bare fwd+bwd {t_train_base * 1e3:.1f} ms) | select_action (B=1) "
        f"{t_select * 1e3:8.1f} ms (x{t_select / t_select_base:.2f} vs bare network {t_select_base * 1e3:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--policies", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}")
    for policy_type in args.policies:
        bench(policy_type, args.repeats, args.device, args.batch_size)


if __name__ == "__main__":
    main()
