"""Fusion of modality codes into one utterance representation.

A fusion module takes ``codes`` {modality: [B, H_m]} and ``present`` {modality: [B] bool} and
returns [B, hidden]. Codes of absent modalities never reach the output. Modalities are read
in sorted name order, so the parameter layout does not depend on the order of the mappings.
"""

from __future__ import annotations

from typing import Callable, Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp

from emorec.registry import lookup


def zero_absent(codes: Mapping[str, jnp.ndarray],
                present: Mapping[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
  """The codes in sorted modality order, zeroed for utterances lacking the modality."""
  return {m: jnp.where(present[m][:, None], codes[m], 0.0) for m in sorted(codes)}


class ConcatFusion(nn.Module):
  """Concatenation of the codes (absent ones zeroed), then Dense -> gelu -> dropout.

  Attributes:
    hidden: output width; 0 keeps the concatenation itself (no Dense layer).
    dropout: rate on the output.
  """

  hidden: int
  dropout: float = 0.0

  @nn.compact
  def __call__(self, codes: Mapping[str, jnp.ndarray], present: Mapping[str, jnp.ndarray], *,
               train: bool) -> jnp.ndarray:
    x = jnp.concatenate(list(zero_absent(codes, present).values()), axis=-1)
    if self.hidden:
      x = nn.gelu(nn.Dense(self.hidden, name='dense')(x))
    return nn.Dropout(self.dropout, deterministic=not train)(x)


def masked_softmax(scores: jnp.ndarray, where: jnp.ndarray) -> jnp.ndarray:
  """Softmax of ``scores`` [..., M] over the entries where ``where`` holds; 0 elsewhere.

  A row with no entry to attend to gets all-zero weights.
  """
  scores = jnp.where(where, scores, jnp.finfo(scores.dtype).min)
  return jnp.where(where, jax.nn.softmax(scores, axis=-1), 0.0)


class AttentionFusion(nn.Module):
  """Weighted sum of the projected codes, weighted by a softmax over the present modalities.

  Each code is projected to ``hidden`` (``project_<modality>``) and scored by a shared
  one-hidden-layer tanh MLP of the same width. The weights [B, M] (modalities in sorted
  order) are sown as ``intermediates/weights``.

  Attributes:
    hidden: output width.
    dropout: rate on the output.
  """

  hidden: int
  dropout: float = 0.0

  @nn.compact
  def __call__(self, codes: Mapping[str, jnp.ndarray], present: Mapping[str, jnp.ndarray], *,
               train: bool) -> jnp.ndarray:
    codes = zero_absent(codes, present)
    projected = jnp.stack(
        [nn.Dense(self.hidden, name=f'project_{m}')(code) for m, code in codes.items()], axis=1)
    scores = jnp.tanh(nn.Dense(self.hidden, name='score_hidden')(projected))
    # Softmax ignores a shared shift, so the score needs no bias.
    scores = nn.Dense(1, use_bias=False, name='score_out')(scores)[..., 0]
    weights = masked_softmax(scores, jnp.stack([present[m] for m in codes], axis=1))
    self.sow('intermediates', 'weights', weights)
    fused = jnp.einsum('bm,bmh->bh', weights, projected)
    return nn.Dropout(self.dropout, deterministic=not train)(fused)


FUSIONS: dict[str, Callable[..., nn.Module]] = {
    'concat': ConcatFusion,
    'attention': AttentionFusion,
}


def make_fusion(name: str, /, *, hidden: int, dropout: float, **options) -> nn.Module:
  """The fusion called ``name`` (a key of FUSIONS); ``options`` are its other fields."""
  return lookup('fusion', name, FUSIONS)(hidden=hidden, dropout=dropout, **options)
