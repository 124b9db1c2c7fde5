"""Pair critics: a learned score for every pairing of two modalities' codes in a batch.

A critic reads the codes of modality a, z_a [B, D_a], and of modality b, z_b [B, D_b], and
scores every combination (z_a^i, z_b^j) of the batch as a matrix [B, B]; the diagonal holds
the pairs of the same utterance. Contrastive objectives read these scores as the logits of
"the two codes carry the same emotion".
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp


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
