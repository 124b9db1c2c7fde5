"""Decoders that turn an utterance code back into its modality's input (the CMDM autoencoders).

A decoder maps a code [B, d] and the modality's input (features x [B, T, D] and mask [B, T])
to a ``Reconstruction``: its prediction, the target it reconstructs and where the target
counts. Two targets are available:

  'statistics': the masked per-utterance mean and standard deviation of the frames [B, 2D],
    counted for utterances that have the modality.
  'sequence': every frame [B, T, D], decoded from the code and a sinusoidal code of the frame
    position, counted on real frames only.

Targets are zero in padding and carry no gradient.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from emorec.models.encoders import masked_mean, sinusoidal_positions, zero_padding
from emorec.registry import lookup


class Reconstruction(NamedTuple):
  """A decoder's output: ``prediction``, ``target`` [B, F] or [B, T, D]; ``mask`` [B] or [B, T]."""

  prediction: jax.Array
  target: jax.Array
  mask: jax.Array


def utterance_statistics(x: jax.Array, mask: jax.Array, eps: float = 1e-6) -> jax.Array:
  """Masked mean and standard deviation over the real frames, concatenated: [B, 2D]."""
  mean = masked_mean(x, mask)
  variance = masked_mean(jnp.square(x - mean[:, None]), mask)
  return jnp.concatenate([mean, jnp.sqrt(variance + eps)], axis=-1)


class MLP(nn.Module):
  """``depth`` gelu layers ``width`` wide, then a linear layer of ``features`` outputs."""

  features: int
  width: int
  depth: int = 1

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    for i in range(self.depth):
      x = nn.gelu(nn.Dense(self.width, name=f'dense_{i}')(x))
    return nn.Dense(self.features, name='out')(x)


class StatisticsDecoder(nn.Module):
  """Reconstructs the utterance statistics (``utterance_statistics``) of a modality.

  Attributes:
    width: hidden width.
    depth: hidden layers.
  """

  width: int
  depth: int = 1

  @nn.compact
  def __call__(self, code: jax.Array, x: jax.Array, mask: jax.Array) -> Reconstruction:
    target = jax.lax.stop_gradient(utterance_statistics(x, mask))
    prediction = MLP(target.shape[-1], self.width, self.depth, name='mlp')(code)
    present = jnp.any(mask > 0, axis=-1).astype(jnp.float32)
    return Reconstruction(prediction, target, present)


class SequenceDecoder(nn.Module):
  """Reconstructs every frame from the code and the frame's sinusoidal position code.

  Attributes:
    width: hidden width, also the width of the position code.
    depth: hidden layers, applied to each frame.
  """

  width: int
  depth: int = 1

  @nn.compact
  def __call__(self, code: jax.Array, x: jax.Array, mask: jax.Array) -> Reconstruction:
    batch, length, features = x.shape
    positions = jnp.broadcast_to(sinusoidal_positions(length, self.width),
                                 (batch, length, self.width))
    codes = jnp.broadcast_to(code[:, None], (batch, length, code.shape[-1]))
    prediction = MLP(features, self.width, self.depth, name='mlp')(
        jnp.concatenate([codes, positions], axis=-1))
    target = jax.lax.stop_gradient(zero_padding(x, mask))
    return Reconstruction(prediction, target, mask.astype(jnp.float32))


DECODERS: dict[str, Callable[..., nn.Module]] = {
    'statistics': StatisticsDecoder,
    'sequence': SequenceDecoder,
}


def make_decoder(name: str, /, *, width: int, depth: int, **options) -> nn.Module:
  """The decoder called ``name`` (a key of DECODERS); ``options`` are its other fields."""
  if depth < 0:
    raise ValueError(f'decoder depth={depth}; it must be 0 (linear) or more')
  return lookup('reconstruction', name, DECODERS)(width=width, depth=depth, **options)
