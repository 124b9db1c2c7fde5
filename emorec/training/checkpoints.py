"""Orbax checkpoints of a run: the train state and the validation-selected parameters.

A checkpoint holds two items, `state` (parameters, optimizer state, step) and `selection`
(the parameters with the best validation score so far, that score and its step, per seed), so
that resuming restores both training and model selection. Saves are synchronous: the states are
small and every process must agree on each save.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import orbax.checkpoint as ocp


def manager(workdir: str, *, max_to_keep: int) -> ocp.CheckpointManager:
  """Keeps the `max_to_keep` most recent checkpoints under `workdir/checkpoints`."""
  options = ocp.CheckpointManagerOptions(
      max_to_keep=max_to_keep, create=True, enable_async_checkpointing=False)
  return ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), 'checkpoints'), options=options,
      item_names=('state', 'selection'))


def save(checkpoints: ocp.CheckpointManager, step: int, state: Any, selection: Any) -> None:
  checkpoints.save(step, args=ocp.args.Composite(
      state=ocp.args.StandardSave(state), selection=ocp.args.StandardSave(selection)),
                   force=True)


def _abstract(tree: Any) -> Any:
  return jax.tree.map(ocp.utils.to_shape_dtype_struct, tree)


def restore(checkpoints: ocp.CheckpointManager, step: int, state_like: Any,
            selection_like: Any) -> tuple[Any, Any]:
  """Restores `step` into the structure, dtypes and shardings of the `*_like` trees."""
  restored = checkpoints.restore(step, args=ocp.args.Composite(
      state=ocp.args.StandardRestore(_abstract(state_like)),
      selection=ocp.args.StandardRestore(_abstract(selection_like))))
  return restored['state'], restored['selection']
