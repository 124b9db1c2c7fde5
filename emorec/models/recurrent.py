"""Fused recurrent layers: an LSTM or GRU layer with both directions advanced in one scan.

A layer of K directions (1 or 2) and H units with G gates (LSTM 4: i, f, g, o; GRU 3: r, z, n)
has the parameters

  input_kernel [K, D, G*H], bias [K, G*H]: every gate's projection of the frame;
  recurrent_kernel [K, H, G*H]: every gate's projection of the state;
  recurrent_bias [K, H] (GRU only): the bias of the n gate's state term, inside the reset gate.

It computes the cells of ``flax.linen.OptimizedLSTMCell`` and ``flax.linen.GRUCell`` (the same
parameters split per gate, the LSTM bias on their state terms), fused:

  1. the frames of every step and direction are projected at once, before the recurrence;
  2. step s of one ``lax.scan`` reads frame s of the forward direction and frame T-1-s of the
     backward one, and one batched matmul [K, B, H] x [K, H, G*H] gives every gate of both;
  3. a step whose frame is masked out leaves the state unchanged and outputs zeros. The
     backward direction starts at the end, so its state stays zero through the trailing
     padding: each sequence is read right to left from its last real frame, exactly;
  4. the recurrence has its own VJP: the backward scan carries the state cotangents and keeps
     each step's gate cotangents; the recurrent kernel's gradient is then one matmul over all
     steps instead of an accumulation inside every step.

On a CUDA GPU, ``cudnn_layer`` runs an LSTM layer through cuDNN
(``jax.experimental.rnn``) with the same parameters.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

State = tuple[jnp.ndarray, ...]
# (frame projections [K, B, G*H], state projections [K, B, G*H], state, keep [K, B, 1]) ->
# (next state, output [K, B, H]).
Pointwise = Callable[[jnp.ndarray, jnp.ndarray, State, jnp.ndarray], tuple[State, jnp.ndarray]]


def _lstm_pointwise(xw: jnp.ndarray, hw: jnp.ndarray, state: State,
                    keep: jnp.ndarray) -> tuple[State, jnp.ndarray]:
  h, c = state
  i, f, g, o = jnp.split(xw + hw, 4, axis=-1)
  c_next = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
  h_next = jax.nn.sigmoid(o) * jnp.tanh(c_next)
  return (jnp.where(keep, h_next, h), jnp.where(keep, c_next, c)), jnp.where(keep, h_next, 0.0)


def _gru_pointwise(xw: jnp.ndarray, hw: jnp.ndarray, state: State,
                   keep: jnp.ndarray) -> tuple[State, jnp.ndarray]:
  (h,) = state
  x_r, x_z, x_n = jnp.split(xw, 3, axis=-1)
  h_r, h_z, h_n = jnp.split(hw, 3, axis=-1)
  r = jax.nn.sigmoid(x_r + h_r)
  z = jax.nn.sigmoid(x_z + h_z)
  h_next = (1.0 - z) * jnp.tanh(x_n + r * h_n) + z * h
  return (jnp.where(keep, h_next, h),), jnp.where(keep, h_next, 0.0)


@dataclasses.dataclass(frozen=True)
class Cell:
  """A recurrent cell: gates per unit, state arrays (the first is the output) and its
  element-wise update; ``recurrent_bias``: whether the last gate's state term has a bias."""

  gates: int
  states: int
  pointwise: Pointwise
  recurrent_bias: bool = False


CELLS: dict[str, Cell] = {
    'gru': Cell(gates=3, states=1, pointwise=_gru_pointwise, recurrent_bias=True),
    'lstm': Cell(gates=4, states=2, pointwise=_lstm_pointwise),
}


def _state_projection(h: jnp.ndarray, kernel: jnp.ndarray,
                      bias: jnp.ndarray | None) -> jnp.ndarray:
  hw = jnp.einsum('kbh,khg->kbg', h, kernel)
  return hw if bias is None else hw + bias[:, None]


def _scan_forward(cell: Cell, unroll: int, xw: jnp.ndarray, kernel: jnp.ndarray,
                  bias: jnp.ndarray | None, keep: jnp.ndarray):
  """Outputs [T, K, B, H], and per step the state projections and the state it started from."""
  directions, batch = xw.shape[1:3]
  initial = tuple(jnp.zeros((directions, batch, kernel.shape[1]), xw.dtype)
                  for _ in range(cell.states))

  def step(state, inputs):
    xw_t, keep_t = inputs
    hw = _state_projection(state[0], kernel, bias)
    next_state, output = cell.pointwise(xw_t, hw, state, keep_t)
    return next_state, (output, hw, state)

  _, (outputs, hw, states) = lax.scan(step, initial, (xw, keep), unroll=unroll)
  return outputs, (hw, states)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1))
def recurrence(cell: Cell, unroll: int, xw: jnp.ndarray, kernel: jnp.ndarray,
               bias: jnp.ndarray | None, keep: jnp.ndarray) -> jnp.ndarray:
  """The outputs [T, K, B, H] of K directions run over their frame projections ``xw``
  [T, K, B, G*H] (time-major, each direction in its own reading order) from zero states.

  ``kernel`` [K, H, G*H] and ``bias`` [K, G*H] (or None) project the state; ``keep``
  [T, K, B, 1] (bool) is False where a step must leave the state unchanged and output zeros.
  """
  return _scan_forward(cell, unroll, xw, kernel, bias, keep)[0]


def _recurrence_fwd(cell, unroll, xw, kernel, bias, keep):
  outputs, (hw, states) = _scan_forward(cell, unroll, xw, kernel, bias, keep)
  return outputs, (xw, kernel, bias, keep, hw, states)


def _recurrence_bwd(cell, unroll, residuals, d_outputs):
  xw, kernel, bias, keep, hw, states = residuals

  def step(d_state, inputs):
    xw_t, hw_t, state_t, keep_t, d_output_t = inputs
    _, pullback = jax.vjp(lambda a, b, s: cell.pointwise(a, b, s, keep_t), xw_t, hw_t, state_t)
    d_xw_t, d_hw_t, d_previous = pullback((d_state, d_output_t))
    d_h = d_previous[0] + jnp.einsum('kbg,khg->kbh', d_hw_t, kernel)
    return (d_h, *d_previous[1:]), (d_xw_t, d_hw_t)

  initial = tuple(jnp.zeros_like(s[0]) for s in states)
  _, (d_xw, d_hw) = lax.scan(step, initial, (xw, hw, states, keep, d_outputs), reverse=True,
                             unroll=unroll)
  d_kernel = jnp.einsum('tkbh,tkbg->khg', states[0], d_hw)
  d_bias = None if bias is None else jnp.sum(d_hw, axis=(0, 2))
  return d_xw, d_kernel, d_bias, None


recurrence.defvjp(_recurrence_fwd, _recurrence_bwd)


@dataclasses.dataclass(frozen=True)
class LayerParams:
  """One layer's parameters (see the module docstring); ``recurrent_bias`` is [K, G*H], zero
  but for the last gate, or None."""

  input_kernel: jnp.ndarray
  recurrent_kernel: jnp.ndarray
  bias: jnp.ndarray
  recurrent_bias: jnp.ndarray | None


def _flip_time(x: jnp.ndarray) -> jnp.ndarray:
  return jnp.flip(x, axis=1)


def scan_layer(cell: Cell, params: LayerParams, x: jnp.ndarray, mask: jnp.ndarray, *,
               unroll: int) -> jnp.ndarray:
  """The fused layer on ``x`` [B, T, D] and ``mask`` [B, T]: outputs [K, B, T, H], zero at
  masked frames."""
  directions = params.input_kernel.shape[0]
  frames, keep = [x], [mask > 0]
  if directions == 2:
    frames.append(_flip_time(x))
    keep.append(_flip_time(mask > 0))
  xw = jnp.einsum('kbtd,kdg->tkbg', jnp.stack(frames), params.input_kernel)
  xw = xw + params.bias[:, None]
  keep = jnp.stack(keep).transpose(2, 0, 1)[..., None]
  outputs = recurrence(cell, unroll, xw, params.recurrent_kernel, params.recurrent_bias, keep)
  outputs = outputs.transpose(1, 2, 0, 3)
  if directions == 2:
    outputs = jnp.stack([outputs[0], _flip_time(outputs[1])])
  return outputs


def _cudnn_weights(params: LayerParams) -> jnp.ndarray:
  """The layer's parameters in cuDNN's flat layout (all matrices, then all biases)."""
  matrices, biases = [], []
  for k in range(params.input_kernel.shape[0]):
    matrices += [params.input_kernel[k].T.ravel(), params.recurrent_kernel[k].T.ravel()]
    biases += [params.bias[k], jnp.zeros_like(params.bias[k])]
  return jnp.concatenate(matrices + biases)


def cudnn_layer(cell: Cell, params: LayerParams, x: jnp.ndarray, mask: jnp.ndarray, *,
                unroll: int) -> jnp.ndarray:
  """``scan_layer`` through cuDNN (``jax.experimental.rnn``): LSTM on a CUDA GPU only."""
  del unroll
  if cell is not CELLS['lstm']:
    raise ValueError("recurrent implementation 'cudnn' runs LSTMs only; use 'fused' for GRUs")
  if jax.default_backend() != 'gpu':
    raise ValueError(f"recurrent implementation 'cudnn' needs a CUDA GPU; the default JAX "
                     f"backend is {jax.default_backend()!r}: use 'fused' or 'flax'")
  from jax.experimental import rnn  # pylint: disable=g-import-not-at-top

  directions, input_size, width = params.input_kernel.shape
  units = width // 4
  batch, length = x.shape[:2]
  zeros = jnp.zeros((directions, batch, units), x.dtype)
  # cuDNN needs at least one step; an empty sequence's outputs are masked below.
  lengths = jnp.maximum(jnp.sum(mask > 0, axis=-1), 1).astype(jnp.int32)
  outputs, _, _ = rnn.lstm(x, zeros, zeros, _cudnn_weights(params), lengths,
                           input_size=input_size, hidden_size=units, num_layers=1, dropout=0.0,
                           bidirectional=directions == 2)
  outputs = outputs.reshape(batch, length, directions, units).transpose(2, 0, 1, 3)
  return jnp.where(mask[None, ..., None] > 0, outputs, 0.0)


# Each runs one fused layer: (cell, params, x [B, T, D], mask [B, T], unroll=) -> [K, B, T, H].
IMPLEMENTATIONS = {'fused': scan_layer, 'cudnn': cudnn_layer}


def _orthogonal_gates(gates: int) -> nn.initializers.Initializer:
  """[K, H, G*H] of G orthogonal [H, H] blocks per direction (a state kernel per gate)."""

  def init(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jnp.ndarray:
    directions, units, _ = shape
    keys = jax.random.split(key, directions * gates)
    blocks = jax.vmap(lambda k: nn.initializers.orthogonal()(k, (units, units), dtype))(keys)
    blocks = blocks.reshape(directions, gates, units, units)
    return blocks.transpose(0, 2, 1, 3).reshape(shape)

  return init


class FusedRecurrentLayer(nn.Module):
  """One uni- or bidirectional LSTM/GRU layer: ``x`` [B, T, D], ``mask`` [B, T] -> outputs
  [K, B, T, H] of each direction at each frame (zero at masked frames).

  Attributes:
    units: H, the units of each direction.
    cell: a value of ``CELLS``.
    bidirectional: also run right to left (K = 2).
    unroll: steps of the scan unrolled into one loop iteration.
    implementation: a value of ``IMPLEMENTATIONS``.
  """

  units: int
  cell: Cell
  bidirectional: bool = True
  unroll: int = 1
  implementation: Callable[..., jnp.ndarray] = scan_layer

  @nn.compact
  def __call__(self, x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
    directions = 2 if self.bidirectional else 1
    width = self.cell.gates * self.units
    params = LayerParams(
        input_kernel=self.param('input_kernel', nn.initializers.lecun_normal(batch_axis=(0,)),
                                (directions, x.shape[-1], width)),
        recurrent_kernel=self.param('recurrent_kernel', _orthogonal_gates(self.cell.gates),
                                    (directions, self.units, width)),
        bias=self.param('bias', nn.initializers.zeros, (directions, width)),
        recurrent_bias=None)
    if self.cell.recurrent_bias:
      last_gate = self.param('recurrent_bias', nn.initializers.zeros, (directions, self.units))
      params = dataclasses.replace(
          params, recurrent_bias=jnp.pad(last_gate, ((0, 0), (width - self.units, 0))))
    return self.implementation(self.cell, params, x, mask, unroll=self.unroll)
