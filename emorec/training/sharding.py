"""The 1-D data mesh: parameters replicated, batches split along 'data' across all processes."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

DATA_AXIS = 'data'


def make_data_mesh(num_devices: int | None = None) -> Mesh:
  """A ('data',) mesh over every device of every process, or the first `num_devices` of them.

  A subset is only allowed in a single process (tests compare 1 device against several).
  """
  devices = jax.devices()
  if num_devices is not None:
    if jax.process_count() > 1 and num_devices != len(devices):
      raise ValueError(
          f'num_devices={num_devices} in a {jax.process_count()}-process run: multi-process '
          f'training uses all {len(devices)} devices.')
    if not 1 <= num_devices <= len(devices):
      raise ValueError(f'num_devices={num_devices}, but {len(devices)} devices are available.')
    devices = devices[:num_devices]
  return jax.make_mesh(
      (len(devices),), (DATA_AXIS,), axis_types=(AxisType.Auto,), devices=devices)


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def check_batch_size(name: str, global_batch_size: int, mesh: Mesh) -> int:
  """Returns this process's share of a global batch, or a clear error when it does not divide."""
  num_devices = mesh.devices.size
  if global_batch_size % num_devices:
    raise ValueError(
        f'{name}={global_batch_size} is not divisible by the {num_devices} devices of the data '
        'mesh; choose a multiple.')
  return global_batch_size // jax.process_count()


def to_global(local_batch: Any, mesh: Mesh) -> Any:
  """Assembles per-process numpy batches into global arrays sharded along 'data'."""
  sharding = batch_sharded(mesh)
  return jax.tree.map(
      lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), local_batch)
