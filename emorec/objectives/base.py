"""What an objective term sees: the model's outputs on the labelled and unlabelled batches."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, NamedTuple

import jax
import jax.numpy as jnp


class Outputs(NamedTuple):
  """One forward pass: the batch it saw, the fused logits and the model's aux dict."""

  batch: Mapping[str, jax.Array]
  logits: jax.Array
  aux: Mapping[str, Any]


TermFn = Callable[[Outputs, Outputs | None], jax.Array]


@dataclasses.dataclass(frozen=True)
class Term:
  """A scalar loss term; `uses_unlabelled` asks the train step for the unlabelled forward pass."""

  fn: TermFn
  uses_unlabelled: bool = False


def example_weights(batch: Mapping[str, jax.Array]) -> jax.Array:
  """Per-example weights [B]: the `valid` mask of padded evaluation batches, else ones."""
  if 'valid' in batch:
    return batch['valid']
  first = next(iter(v for k, v in batch.items() if not k.endswith('_mask')))
  return jnp.ones(first.shape[:1], jnp.float32)


def weighted_mean(values: jax.Array, weights: jax.Array) -> jax.Array:
  """Mean of `values` [B] under `weights` [B]; 0 when every weight is 0."""
  return jnp.sum(values * weights) / jnp.maximum(jnp.sum(weights), 1.0)
