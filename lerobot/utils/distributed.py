"""Multi-process training with torch DDP, launched by `torchrun` (one process per GPU, or CPU processes on gloo).

    torchrun --nproc_per_node=8 lerobot/scripts/train.py ...                       # one machine, 8 GPUs
    torchrun --nnodes=2 --node_rank=0 --master_addr=<host0> --master_port=29500 \
        --nproc_per_node=8 lerobot/scripts/train.py ...                            # on each of 2 nodes

`DistributedContext.from_env(device)` reads torchrun's RANK / WORLD_SIZE / LOCAL_RANK; with WORLD_SIZE 1 (a
plain `python` run) everything is a no-op. Rank 0 logs, evaluates and saves checkpoints; gradients are
averaged by DDP, so `--batch_size` is per process.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch

logger = logging.getLogger(__name__)


@dataclass
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_env(cls, device: str | None) -> DistributedContext:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls(device=str(device))
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        kind = torch.device(device or "cpu").type
        if kind == "cuda":
            torch.cuda.set_device(local_rank)
        backend = "nccl" if kind == "cuda" else "gloo"
        if not torch.distributed.is_initialized():
            torch.distributed.init_process_group(backend=backend)
        logger.info("DDP process %d/%d (local rank %d, backend %s)", rank, world_size, local_rank, backend)
        return cls(rank=rank, world_size=world_size, local_rank=local_rank, device=str(device))

    def wrap(self, policy: torch.nn.Module) -> torch.nn.Module:
        """The module to call for the training forward: `policy`, or its DDP wrapper (params synced from rank 0)."""
        if not self.enabled:
            return policy
        device_ids = [self.local_rank] if torch.device(self.device).type == "cuda" else None
        # Some policies leave parameters unused in some steps (VQ-BeT's phases, ACT without the VAE).
        return torch.nn.parallel.DistributedDataParallel(
            policy, device_ids=device_ids, find_unused_parameters=True
        )

    def barrier(self) -> None:
        if self.enabled:
            torch.distributed.barrier()

    def close(self) -> None:
        if self.enabled and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
