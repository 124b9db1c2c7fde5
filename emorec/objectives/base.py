"""What an objective term sees: the model's outputs on the labelled and unlabelled batches, and
on the augmented views of the unlabelled batch it asks for."""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Callable, Mapping, NamedTuple

import jax
import jax.numpy as jnp

from emorec.objectives.views import ViewOptions

_NO_VIEWS = types.MappingProxyType({})


class Outputs(NamedTuple):
  """One forward pass: the batch it saw, the fused logits and the model's aux dict.

  On the unlabelled batch, ``views`` holds the forward pass of every view the active terms
  ask for (`Term.views`), by name.
  """

  batch: Mapping[str, jax.Array]
  logits: jax.Array
  aux: Mapping[str, Any]
  views: Mapping[str, 'Outputs'] = _NO_VIEWS


TermFn = Callable[[Outputs, Outputs | None], jax.Array]


@dataclasses.dataclass(frozen=True)
class Term:
  """A scalar loss term.

  ``uses_unlabelled`` asks the train step for the unlabelled forward pass; ``views`` for the
  forward passes of augmented views of the unlabelled batch (`views.augment`), by name, which
  the step attaches to the unlabelled ``Outputs.views`` (a term with views also sets
  ``uses_unlabelled``).
  """

  fn: TermFn
  uses_unlabelled: bool = False
  views: Mapping[str, ViewOptions] = dataclasses.field(default_factory=dict)


def example_weights(batch: Mapping[str, jax.Array]) -> jax.Array:
  """Per-example weights [B]: the `valid` mask of padded evaluation batches, else ones."""
  if 'valid' in batch:
    return batch['valid']
  first = next(iter(v for k, v in batch.items() if not k.endswith('_mask')))
  return jnp.ones(first.shape[:1], jnp.float32)


def weighted_mean(values: jax.Array, weights: jax.Array) -> jax.Array:
  """Mean of `values` [B] under `weights` [B]; 0 when every weight is 0."""
  return jnp.sum(values * weights) / jnp.maximum(jnp.sum(weights), 1.0)
