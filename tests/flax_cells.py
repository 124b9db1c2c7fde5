"""A plain reference for the fused recurrent layers: flax's own cells, one step at a time.

``cell_params`` splits a fused layer's parameters into those of ``nn.OptimizedLSTMCell`` or
``nn.GRUCell`` for one direction; ``reference_encoder`` runs a ``RecurrentEncoder``'s
parameters through those cells in a Python loop over the frames (the backward direction on each
sequence reversed within its length), so both see the same parameters and differentiate alike.
Lengths and masks are concrete (NumPy): the loop over frames unrolls, no scan is involved.
"""

from __future__ import annotations

from typing import Any, Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from emorec.models import encoders

_LSTM_GATES = ('i', 'f', 'g', 'o')
_GRU_GATES = ('r', 'z', 'n')
REFERENCE_CELLS = {'lstm': nn.OptimizedLSTMCell, 'gru': nn.GRUCell}


def cell_params(layer: Mapping[str, jnp.ndarray], cell: str, direction: int) -> dict[str, Any]:
  """The flax cell parameters of one direction of a fused layer's parameters."""
  input_kernel = layer['input_kernel'][direction]
  recurrent_kernel = layer['recurrent_kernel'][direction]
  bias = layer['bias'][direction]
  units = recurrent_kernel.shape[0]
  gates = _LSTM_GATES if cell == 'lstm' else _GRU_GATES
  part = {g: slice(j * units, (j + 1) * units) for j, g in enumerate(gates)}
  if cell == 'lstm':
    params = {f'i{g}': {'kernel': input_kernel[:, part[g]]} for g in gates}
    params.update({f'h{g}': {'kernel': recurrent_kernel[:, part[g]], 'bias': bias[part[g]]}
                   for g in gates})
    return params
  params = {f'i{g}': {'kernel': input_kernel[:, part[g]], 'bias': bias[part[g]]} for g in gates}
  params.update({f'h{g}': {'kernel': recurrent_kernel[:, part[g]]} for g in ('r', 'z')})
  params['hn'] = {'kernel': recurrent_kernel[:, part['n']],
                  'bias': layer['recurrent_bias'][direction]}
  return params


def _run_cell(cell: nn.RNNCellBase, params: dict[str, Any], x: jnp.ndarray,
              lengths: np.ndarray) -> jnp.ndarray:
  """Outputs [B, T, H] of ``cell`` stepped over each sequence's real frames, zero elsewhere."""
  carry = cell.initialize_carry(jax.random.key(0), x[:, 0].shape)
  outputs = []
  for t in range(x.shape[1]):
    real = jnp.asarray(t < lengths)[:, None]
    new_carry, output = cell.apply({'params': params}, carry, x[:, t])
    carry = jax.tree.map(lambda new, old: jnp.where(real, new, old), new_carry, carry)
    outputs.append(jnp.where(real, output, 0.0))
  return jnp.stack(outputs, axis=1)


def _reverse_within_lengths(x: jnp.ndarray, lengths: np.ndarray) -> jnp.ndarray:
  """Each sequence of ``x`` [B, T, ...] reversed over its first ``lengths`` frames."""
  steps = np.arange(x.shape[1])
  order = np.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
  return jnp.stack([x[b, order[b]] for b in range(x.shape[0])])


def reference_layer(layer: Mapping[str, jnp.ndarray], cell: str, bidirectional: bool,
                    x: jnp.ndarray, lengths: np.ndarray) -> jnp.ndarray:
  """[K, B, T, H] outputs of flax's cells, one step at a time, with the fused layer's
  parameters; the backward direction reads each sequence reversed within its length."""
  make = REFERENCE_CELLS[cell](layer['recurrent_kernel'].shape[1], parent=None)
  outputs = [_run_cell(make, cell_params(layer, cell, 0), x, lengths)]
  if bidirectional:
    backward = _run_cell(make, cell_params(layer, cell, 1), _reverse_within_lengths(x, lengths),
                         lengths)
    outputs.append(_reverse_within_lengths(backward, lengths))
  return jnp.stack(outputs)


def reference_encoder(encoder: encoders.RecurrentEncoder, params: Mapping[str, Any],
                      x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """The code of ``encoder`` (no dropout) computed with flax's cells from its parameters."""
  merge = encoders._MERGES[encoder.merge]  # pylint: disable=protected-access
  pool = encoders._POOLINGS[encoder.pooling]  # pylint: disable=protected-access
  lengths = np.sum(mask, axis=-1).astype(int)
  x = encoders.zero_padding(x, mask)
  for i in range(encoder.num_layers):
    states = reference_layer(params[f'layer_{i}'], encoder.cell, encoder.bidirectional, x,
                             lengths)
    x = merge(states)
  return merge(pool(states, mask))
