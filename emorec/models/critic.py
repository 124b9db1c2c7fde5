"""Pair critics: a learned score for every pairing of two modalities' codes in a batch.

A critic reads the codes of modality a, z_a [B, D_a], and of modality b, z_b [B, D_b], and
scores every combination (z_a^i, z_b^j) of the batch as a matrix [B, B]; the diagonal holds
the pairs of the same utterance. Contrastive objectives read these scores as the logits of
"the two codes carry the same emotion".
"""

from __future__ import annotations

import itertools
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

Pair = tuple[str, str]


def parse_pairs(spec: str, modalities: Sequence[str], *, field: str) -> tuple[Pair, ...]:
  """The modality pairs ``spec`` names: 'all' (every unordered pair) or 'a-b,c-d'.

  ``field`` is the config field ``spec`` comes from, named in errors.
  """
  if spec == 'all':
    return tuple(itertools.combinations(modalities, 2))
  pairs = []
  for item in filter(None, spec.split(',')):
    pair = tuple(name.strip() for name in item.split('-'))
    if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= set(modalities):
      raise ValueError(f"{field} entry {item!r} is not two different modalities 'a-b' of "
                       f"model.modalities ({', '.join(modalities)})")
    pairs.append(pair)
  return tuple(pairs)


def pair_name(pair: Pair) -> str:
  """'a-b': the key of a pair's scores, as the config spells it."""
  return '-'.join(pair)


class PairCritic(nn.Module):
  """A one-hidden-layer ReLU MLP on the concatenation [z_a^i; z_b^j], for every i and j.

  The first layer of an MLP on a concatenation is the sum of one layer on each part, so it is
  applied to each side once ([B, hidden]) and broadcast to the [B, B, hidden] pairs. The
  output bias c shifts every score alike; MINE keeps its running denominator in it, as
  exp(-c) (``objectives.contrastive``).

  Attributes:
    hidden: width of the hidden layer.
  """

  hidden: int

  @nn.compact
  def __call__(self, z_a: jnp.ndarray, z_b: jnp.ndarray) -> jnp.ndarray:
    """Scores [B_a, B_b] of every pair (z_a [B_a, D_a] row i, z_b [B_b, D_b] row j)."""
    left = nn.Dense(self.hidden, name='left')(z_a)
    right = nn.Dense(self.hidden, use_bias=False, name='right')(z_b)
    hidden = nn.relu(left[:, None, :] + right[None, :, :])
    return nn.Dense(1, name='out')(hidden)[..., 0]
