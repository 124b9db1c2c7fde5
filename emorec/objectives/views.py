"""Augmented views of a batch, for terms that compare predictions on two views of it.

A view is the batch after three random augmentations, each pure and deterministic given its key,
each keeping the padding exact: every mask stays a prefix of real frames followed by padding (as
the recurrent encoders read it), and a view's features are 0 wherever its mask is 0 (whatever
the batch held in its padding):

  modality_dropout: every modality an utterance has is removed (mask and features set to 0)
    with this probability; when every one would be, the one with the largest draw stays.
  frame_dropout: every real frame is removed with this probability; the kept frames move to
    the front in their order, and at least one real frame of a modality stays.
  noise: Gaussian noise of this standard deviation is added to the features of every real frame.

They are applied in this order. Keys other than the modalities and their masks pass unchanged.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections

Batch = Mapping[str, jax.Array]


class ViewOptions(NamedTuple):
  """The strength of each augmentation (module docstring); all 0 is the batch itself."""

  noise: float = 0.0
  frame_dropout: float = 0.0
  modality_dropout: float = 0.0

  @classmethod
  def from_config(cls, options: ml_collections.ConfigDict, field: str) -> 'ViewOptions':
    """Options of a config section, checked: noise >= 0, the dropout shares in [0, 1)."""
    view = cls(noise=float(options.noise), frame_dropout=float(options.frame_dropout),
               modality_dropout=float(options.modality_dropout))
    if view.noise < 0:
      raise ValueError(f'{field}.noise={view.noise} must be >= 0.')
    for name in ('frame_dropout', 'modality_dropout'):
      if not 0.0 <= getattr(view, name) < 1.0:
        raise ValueError(f'{field}.{name}={getattr(view, name)} must be in [0, 1).')
    return view


def modalities_of(batch: Batch) -> tuple[str, ...]:
  """The keys of ``batch`` that have a ``{key}_mask`` beside them, in batch order."""
  return tuple(k for k in batch if f'{k}_mask' in batch)


def _largest(draws: jax.Array, eligible: jax.Array) -> jax.Array:
  """One-hot [..., N] of the eligible entry with the largest draw along the last axis."""
  best = jnp.argmax(jnp.where(eligible, draws, -1.0), axis=-1)
  return jax.nn.one_hot(best, draws.shape[-1], dtype=jnp.bool_) & eligible


def drop_modalities(batch: Batch, key: jax.Array, rate: float) -> dict[str, jax.Array]:
  """``batch`` with whole modalities of utterances removed (module docstring)."""
  names = modalities_of(batch)
  present = jnp.stack([jnp.any(batch[f'{m}_mask'] > 0, axis=-1) for m in names], axis=-1)
  draws = jax.random.uniform(key, present.shape)
  dropped = (draws < rate) & present
  every = jnp.all(dropped | ~present, axis=-1, keepdims=True)
  dropped &= ~(every & _largest(draws, present))
  out = dict(batch)
  for index, m in enumerate(names):
    keep = (~dropped[:, index]).astype(batch[f'{m}_mask'].dtype)
    out[f'{m}_mask'] = batch[f'{m}_mask'] * keep[:, None]
    out[m] = jnp.where(out[f'{m}_mask'][..., None] > 0, batch[m], 0.0)
  return out


def drop_frames(frames: jax.Array, mask: jax.Array, key: jax.Array,
                rate: float) -> tuple[jax.Array, jax.Array]:
  """``frames`` [B, T, D] and ``mask`` [B, T] with real frames removed (module docstring)."""
  real = mask > 0
  draws = jax.random.uniform(key, mask.shape)
  keep = ((draws >= rate) & real) | _largest(draws, real)
  positions = jnp.arange(mask.shape[-1])
  order = jnp.argsort(jnp.where(keep, positions, positions + mask.shape[-1]), axis=-1)
  kept = jnp.where(keep[..., None], frames, 0.0)
  return (jnp.take_along_axis(kept, order[..., None], axis=-2),
          jnp.take_along_axis(keep.astype(mask.dtype), order, axis=-1))


def add_noise(frames: jax.Array, mask: jax.Array, key: jax.Array, std: float) -> jax.Array:
  """``frames`` [B, T, D] plus N(0, std^2) noise on the real frames of ``mask`` [B, T], 0 on
  the others."""
  if std:
    frames = frames + std * jax.random.normal(key, frames.shape, frames.dtype)
  return jnp.where((mask > 0)[..., None], frames, 0.0)


def augment(batch: Batch, key: jax.Array, options: ViewOptions) -> dict[str, jax.Array]:
  """The view of ``batch`` that ``options`` describe, drawn with ``key`` (module docstring)."""
  modality_key, frame_key, noise_key = jax.random.split(key, 3)
  out = dict(batch)
  if options.modality_dropout:
    out = drop_modalities(out, modality_key, options.modality_dropout)
  for index, m in enumerate(modalities_of(out)):
    if options.frame_dropout:
      out[m], out[f'{m}_mask'] = drop_frames(out[m], out[f'{m}_mask'],
                                             jax.random.fold_in(frame_key, index),
                                             options.frame_dropout)
    out[m] = add_noise(out[m], out[f'{m}_mask'], jax.random.fold_in(noise_key, index),
                       options.noise)
  return out
