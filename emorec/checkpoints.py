"""Orbax checkpoint managers: the latest state for resuming, the best state for selection.

Saves are synchronous: the states are small, and two managers saving the same step
asynchronously would race on the processes' commit barriers.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import orbax.checkpoint as ocp


def latest_manager(workdir: str, *, max_to_keep: int) -> ocp.CheckpointManager:
  """Keeps the `max_to_keep` most recent states under `workdir/checkpoints`."""
  options = ocp.CheckpointManagerOptions(
      max_to_keep=max_to_keep, create=True, enable_async_checkpointing=False)
  return ocp.CheckpointManager(os.path.join(os.path.abspath(workdir), 'checkpoints'),
                               options=options)


def best_manager(workdir: str, *, metric: str) -> ocp.CheckpointManager:
  """Keeps the single state with the highest validation `metric` under `workdir/best`."""
  options = ocp.CheckpointManagerOptions(
      max_to_keep=1, best_fn=lambda metrics: metrics[metric], best_mode='max', create=True,
      enable_async_checkpointing=False)
  return ocp.CheckpointManager(os.path.join(os.path.abspath(workdir), 'best'), options=options)


def save(manager: ocp.CheckpointManager, step: int, state: Any,
         metrics: dict[str, float] | None = None) -> None:
  manager.save(step, args=ocp.args.StandardSave(state), metrics=metrics, force=True)


def restore(manager: ocp.CheckpointManager, step: int, like: Any) -> Any:
  """Restores `step` into the structure, dtypes and shardings of `like`."""
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
  return manager.restore(step, args=ocp.args.StandardRestore(abstract))


def best_value(manager: ocp.CheckpointManager, metric: str) -> float | None:
  """The selection metric of the best saved state, if any."""
  step = manager.best_step()
  if step is None:
    return None
  return float(manager.metrics(step)[metric])
