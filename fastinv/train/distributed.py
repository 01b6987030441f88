"""DDP set-up under ``torchrun``: gloo on CPU, NCCL on GPU, one process per device.

Without torchrun's environment (``WORLD_SIZE`` unset or 1) everything runs in one process and the
helpers below are no-ops, so the training loop is the same code in both cases.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup(device: str) -> Context:
    """Join the process group torchrun describes (if any) and pick this process's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    target = torch.device(device)
    if target.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} asked for but CUDA is not available; use --device cpu"
            )
        target = torch.device("cuda", local_rank if world_size > 1 else (target.index or 0))
        torch.cuda.set_device(target)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if target.type == "cuda" else "gloo")
        log.info("rank %d of %d on %s", rank, world_size, target)
    return Context(rank, world_size, local_rank, target)


def all_reduce_sum(values: torch.Tensor, context: Context) -> torch.Tensor:
    if context.distributed:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def all_gather_floats(value: float, context: Context) -> list[float]:
    if not context.distributed:
        return [value]
    tensor = torch.tensor([value], dtype=torch.float64, device=context.device)
    gathered = [torch.zeros_like(tensor) for _ in range(context.world_size)]
    dist.all_gather(gathered, tensor)
    return [float(t.item()) for t in gathered]


def barrier(context: Context) -> None:
    if context.distributed:
        dist.barrier()


def teardown(context: Context) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()
