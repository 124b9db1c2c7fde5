"""Modality encoders: one padded feature sequence to one utterance-level code.

Every encoder maps features ``x`` [B, T, D] and their ``mask`` [B, T] (1 = real frame,
0 = padding) to a code [B, hidden]. Values in padded frames never reach the code, and an
utterance whose mask is all zero (the modality is missing) gets a finite code.
"""

from __future__ import annotations

import functools
from typing import Callable

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from emorec.models import recurrent
from emorec.registry import lookup


def zero_padding(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """``x`` [..., T, D] with the frames where ``mask`` [..., T] is 0 set to zero."""
  return jnp.where(mask[..., None] > 0, x, 0.0)


def masked_mean(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """Mean of ``x`` [..., T, H] over the frames where ``mask`` [..., T] is 1; zeros if none is.

  ``mask`` may have fewer leading axes than ``x`` (they broadcast from the right).
  """
  count = jnp.sum(mask, axis=-1, keepdims=True)
  return jnp.sum(zero_padding(x, mask), axis=-2) / jnp.maximum(count, 1.0)


def sinusoidal_positions(length: int, dim: int) -> np.ndarray:
  """Fixed sine/cosine position codes [length, dim] (Vaswani et al., 2017)."""
  half = (dim + 1) // 2
  angles = np.arange(length)[:, None] * 10_000.0 ** (-np.arange(half) / half)
  return np.concatenate([np.sin(angles), np.cos(angles)], axis=-1)[:, :dim].astype(np.float32)


class MeanPoolEncoder(nn.Module):
  """Per-frame MLP, masked mean over time, LayerNorm.

  Attributes:
    hidden: width of every layer and of the code.
    num_layers: Dense -> gelu -> dropout layers applied to each frame.
    dropout: rate after every layer.
  """

  hidden: int
  num_layers: int = 1
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: jnp.ndarray, mask: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    x = zero_padding(x, mask)
    for i in range(self.num_layers):
      x = nn.gelu(nn.Dense(self.hidden, name=f'dense_{i}')(x))
      x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.LayerNorm(name='norm')(masked_mean(x, mask))


def _concat_directions(states: jnp.ndarray) -> jnp.ndarray:
  return jnp.concatenate(list(states), axis=-1)


def _sum_directions(states: jnp.ndarray) -> jnp.ndarray:
  return jnp.sum(states, axis=0)


def _edge_steps(states: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """Forward state at the last real frame, backward state (if any) at the first."""
  lengths = jnp.sum(mask, axis=-1).astype(jnp.int32)
  last = jnp.maximum(lengths - 1, 0)[:, None, None]
  forward = jnp.take_along_axis(states[0], last, axis=1)[:, 0]
  edges = jnp.concatenate([forward[None], states[1:, :, 0]])
  return jnp.where((lengths > 0)[:, None], edges, 0.0)


# The cells of the 'flax' implementation.
_FLAX_CELLS: dict[str, Callable[..., nn.RNNCellBase]] = {
    'gru': nn.GRUCell,
    'lstm': nn.OptimizedLSTMCell,
}
# Each maps the stacked directions [directions, ..., width] to [..., hidden].
_MERGES = {'concat': _concat_directions, 'sum': _sum_directions}
# Each maps the stacked directions [directions, B, T, width] to [directions, B, width].
_POOLINGS = {'mean': masked_mean, 'last': _edge_steps}
# Recurrent implementations: flax's cells in nn.RNN (None), or a fused layer function.
_RECURRENT_IMPLEMENTATIONS = {'flax': None, **recurrent.IMPLEMENTATIONS}


def _stack_directions(forward: jnp.ndarray, backward: jnp.ndarray) -> jnp.ndarray:
  return jnp.stack([forward, backward])


class RecurrentEncoder(nn.Module):
  """Stacked uni- or bidirectional GRU/LSTM over the real frames, pooled over time.

  Padding must follow the real frames (the layout of padded batches): sequence lengths are
  the mask sums, and the backward direction starts at each sequence's last real frame.

  Attributes:
    hidden: code width. Each direction has ``hidden`` units when directions are summed (or
      there is one), ``hidden // 2`` when they are concatenated.
    num_layers: stacked recurrent layers; each reads the merged directions of the previous.
    dropout: rate on every layer's outputs.
    cell: 'gru' or 'lstm'.
    bidirectional: also run right to left.
    merge: how directions combine: 'concat' or 'sum'.
    pooling: 'mean' over real frames, or 'last': the forward state at the last real frame
      and the backward state at the first.
    implementation: 'flax' (flax's cells in ``nn.RNN``, parameters
      ``layer_<i>[/forward_rnn|backward_rnn]/cell``), 'fused'
      (``recurrent.FusedRecurrentLayer``, parameters ``layer_<i>/input_kernel`` etc.) or
      'cudnn' (the fused layer's parameters through cuDNN: LSTM on a CUDA GPU).
    unroll: recurrent steps per loop iteration ('fused').
  """

  hidden: int
  num_layers: int = 1
  dropout: float = 0.0
  cell: str = 'lstm'
  bidirectional: bool = True
  merge: str = 'concat'
  pooling: str = 'mean'
  implementation: str = 'flax'
  unroll: int = 1

  @nn.nowrap
  def _units(self) -> int:
    if not (self.bidirectional and self.merge == 'concat'):
      return self.hidden
    if self.hidden % 2:
      raise ValueError(f'hidden={self.hidden} must be even to concatenate two directions')
    return self.hidden // 2

  @nn.nowrap
  def _flax_layer(self, index: int) -> Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]:
    cell = lookup('cell', self.cell, _FLAX_CELLS)

    def rnn(**kwargs) -> nn.RNN:
      # An unbound cell (parent=None) is adopted by its RNN: layer_<i>[/<direction>]/cell.
      return nn.RNN(cell(self._units(), parent=None), **kwargs)

    if self.bidirectional:
      layer = nn.Bidirectional(rnn(parent=None), rnn(parent=None), merge_fn=_stack_directions,
                               name=f'layer_{index}')
    else:
      layer = rnn(name=f'layer_{index}')

    def run(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
      states = layer(x, seq_lengths=jnp.sum(mask, axis=-1).astype(jnp.int32))
      return states if self.bidirectional else states[None]

    return run

  @nn.nowrap
  def _layer(self, index: int) -> Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]:
    """Layer ``index``: (x [B, T, D], mask [B, T]) -> states [directions, B, T, units]."""
    implementation = lookup('recurrent implementation', self.implementation,
                            _RECURRENT_IMPLEMENTATIONS)
    if implementation is None:
      return self._flax_layer(index)
    if self.unroll < 1:
      raise ValueError(f'unroll={self.unroll}; a loop iteration runs at least one step')
    return recurrent.FusedRecurrentLayer(
        self._units(), lookup('cell', self.cell, recurrent.CELLS), self.bidirectional,
        self.unroll, implementation, name=f'layer_{index}')

  @nn.compact
  def __call__(self, x: jnp.ndarray, mask: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    merge = lookup('merge', self.merge, _MERGES)
    pool = lookup('pooling', self.pooling, _POOLINGS)
    x = zero_padding(x, mask)
    for i in range(self.num_layers):
      states = nn.Dropout(self.dropout, deterministic=not train)(self._layer(i)(x, mask))
      x = merge(states)
    return merge(pool(states, mask))


class TransformerBlock(nn.Module):
  """Pre-LayerNorm self-attention and gelu MLP, each a residual branch with dropout."""

  num_heads: int
  mlp_ratio: int = 4
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: jnp.ndarray, attention_mask: jnp.ndarray, *,
               train: bool) -> jnp.ndarray:
    drop = nn.Dropout(self.dropout, deterministic=not train)
    y = nn.MultiHeadDotProductAttention(
        num_heads=self.num_heads, dropout_rate=self.dropout, deterministic=not train,
        name='attention')(nn.LayerNorm(name='norm_attention')(x), mask=attention_mask)
    x = x + drop(y)
    width = x.shape[-1]
    y = nn.Dense(self.mlp_ratio * width, name='mlp_in')(nn.LayerNorm(name='norm_mlp')(x))
    y = nn.Dense(width, name='mlp_out')(drop(nn.gelu(y)))
    return x + drop(y)


class TransformerEncoder(nn.Module):
  """Input projection, positions, pre-LN Transformer blocks, masked mean over time.

  Attributes:
    hidden: model and code width (divisible by ``num_heads``).
    num_layers: Transformer blocks.
    dropout: rate on the embedded input, the attention weights and every residual branch.
    num_heads: attention heads.
    mlp_ratio: MLP width as a multiple of ``hidden``.
    positions: 'sinusoidal' (fixed, any length) or 'learned' (up to ``max_length`` frames).
    max_length: longest sequence learned positions cover.
  """

  hidden: int
  num_layers: int = 1
  dropout: float = 0.0
  num_heads: int = 4
  mlp_ratio: int = 4
  positions: str = 'sinusoidal'
  max_length: int = 512

  @nn.nowrap
  def _sinusoidal_positions(self, length: int) -> jnp.ndarray:
    return jnp.asarray(sinusoidal_positions(length, self.hidden))

  @nn.nowrap
  def _learned_positions(self, length: int) -> jnp.ndarray:
    if length > self.max_length:
      raise ValueError(f'{length} frames exceed max_length={self.max_length} learned positions')
    table = self.param('positions', nn.initializers.normal(0.02), (self.max_length, self.hidden))
    return table[:length]

  @nn.compact
  def __call__(self, x: jnp.ndarray, mask: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    x = nn.Dense(self.hidden, name='embed')(zero_padding(x, mask))
    positions = lookup('positions', self.positions, {
        'sinusoidal': self._sinusoidal_positions, 'learned': self._learned_positions})
    x = x + positions(x.shape[-2])
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    # Padded frames are never attended to; their own outputs are left out of the pooling.
    attention_mask = (mask > 0)[:, None, None, :]
    for i in range(self.num_layers):
      x = TransformerBlock(self.num_heads, self.mlp_ratio, self.dropout, name=f'block_{i}')(
          x, attention_mask, train=train)
    return masked_mean(nn.LayerNorm(name='norm')(x), mask)


ENCODERS: dict[str, Callable[..., nn.Module]] = {
    'meanpool': MeanPoolEncoder,
    'gru': functools.partial(RecurrentEncoder, cell='gru'),
    'lstm': functools.partial(RecurrentEncoder, cell='lstm'),
    'transformer': TransformerEncoder,
}


def make_encoder(name: str, /, *, hidden: int, num_layers: int, dropout: float,
                 **options) -> nn.Module:
  """The encoder called ``name`` (a key of ENCODERS); ``options`` are its other fields."""
  if num_layers < 1:
    raise ValueError(f'num_layers={num_layers}; an encoder needs at least one layer')
  return lookup('encoder', name, ENCODERS)(
      hidden=hidden, num_layers=num_layers, dropout=dropout, **options)
