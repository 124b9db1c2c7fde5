"""The fused recurrent layers against flax's own cells, on random masked batches."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from emorec.models import encoders, recurrent
from tests import flax_cells

BATCH, LENGTH, FEATURES, UNITS = 6, 7, 3, 4
# Full, single-frame, empty and partial sequences (the padding follows the real frames).
LENGTHS = np.array([7, 1, 0, 4, 7, 2])


def random_batch(seed: int) -> tuple[np.ndarray, np.ndarray]:
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(BATCH, LENGTH, FEATURES)).astype(np.float32)
  mask = (np.arange(LENGTH) < rng.permutation(LENGTHS)[:, None]).astype(np.float32)
  return x, mask


def encoder(cell: str, **fields) -> encoders.RecurrentEncoder:
  fields = {'num_layers': 2, 'merge': 'sum', 'pooling': 'last', 'implementation': 'fused',
            **fields}
  return encoders.RecurrentEncoder(hidden=UNITS, cell=cell, **fields)


CASES = {
    'lstm_sum_last': ('lstm', {}),
    'gru_sum_last': ('gru', {}),
    'lstm_concat_mean_unroll3': ('lstm', {'merge': 'concat', 'pooling': 'mean', 'unroll': 3}),
    'gru_forward_mean_unroll2': ('gru', {'bidirectional': False, 'pooling': 'mean',
                                         'unroll': 2}),
}


def init(module, x: np.ndarray, mask: np.ndarray, seed: int):
  return jax.jit(lambda key: module.init(key, x, mask, **(
      {'train': False} if isinstance(module, encoders.RecurrentEncoder) else {})))(
          jax.random.key(seed))['params']


@pytest.mark.parametrize('case', CASES)
def test_codes_and_gradients_match_flax_cells(case):
  cell, fields = CASES[case]
  module = encoder(cell, **fields)
  x, mask = random_batch(0)
  params = init(module, x, mask, 1)
  # A random linear read-out, so that every code entry gets its own cotangent.
  weights = np.random.default_rng(2).normal(size=(BATCH, UNITS)).astype(np.float32)

  def fused(params, x):
    code = module.apply({'params': params}, x, mask, train=False)
    return jnp.sum(weights * code), code

  def reference(params, x):
    code = flax_cells.reference_encoder(module, params, x, mask)
    return jnp.sum(weights * code), code

  (_, code), grads = jax.jit(jax.value_and_grad(fused, argnums=(0, 1), has_aux=True))(params, x)
  (_, expected), expected_grads = jax.jit(
      jax.value_and_grad(reference, argnums=(0, 1), has_aux=True))(params, x)
  np.testing.assert_allclose(code, expected, rtol=1e-5, atol=1e-5)
  assert np.abs(code).max() > 0.05  # not a trivially zero code
  for got, want in zip(jax.tree.leaves(grads), jax.tree.leaves(expected_grads)):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
  # The empty sequence gets a zero code and no gradient through its frames.
  np.testing.assert_array_equal(np.asarray(code)[mask.sum(-1) == 0], 0.0)


@pytest.mark.parametrize('cell', ['lstm', 'gru'])
def test_layer_outputs_match_at_real_frames_and_are_zero_at_padding(cell):
  x, mask = random_batch(3)
  layer = recurrent.FusedRecurrentLayer(UNITS, recurrent.CELLS[cell])
  params = init(layer, x, mask, 4)
  outputs = layer.apply({'params': params}, x, mask)
  expected = flax_cells.reference_layer(params, cell, True, x, mask.sum(-1).astype(int))
  real = np.broadcast_to(mask[None, ..., None] > 0, outputs.shape)
  np.testing.assert_allclose(np.where(real, outputs, 0.0), np.where(real, expected, 0.0),
                             rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(np.where(real, 0.0, outputs), 0.0)


@pytest.mark.parametrize('cell', ['lstm', 'gru'])
def test_padded_frames_change_no_output_and_no_gradient(cell):
  x, mask = random_batch(5)
  layer = recurrent.FusedRecurrentLayer(UNITS, recurrent.CELLS[cell])
  params = init(layer, x, mask, 6)

  @jax.jit
  def outputs_and_grads(params, x):
    return jax.value_and_grad(lambda p: jnp.sum(jnp.sin(layer.apply({'params': p}, x, mask))))(
        params), layer.apply({'params': params}, x, mask)

  noisy = np.where(mask[..., None] > 0, x, 1e3 * np.random.default_rng(7).normal(size=x.shape))
  (_, grads), outputs = outputs_and_grads(params, x)
  (_, noisy_grads), noisy_outputs = outputs_and_grads(params, noisy.astype(np.float32))
  np.testing.assert_array_equal(noisy_outputs, outputs)
  for got, want in zip(jax.tree.leaves(noisy_grads), jax.tree.leaves(grads)):
    np.testing.assert_array_equal(got, want)


def test_parameters_have_one_kernel_per_layer_and_direction_stack():
  x, mask = random_batch(0)
  shapes = jax.eval_shape(lambda: encoder('gru').init(jax.random.key(0), x, mask, train=False))
  layer_1 = jax.tree.map(lambda s: s.shape, shapes['params']['layer_1'])
  # The second layer reads the summed directions (UNITS features); 3 gates.
  assert layer_1 == {'input_kernel': (2, UNITS, 3 * UNITS), 'bias': (2, 3 * UNITS),
                     'recurrent_kernel': (2, UNITS, 3 * UNITS), 'recurrent_bias': (2, UNITS)}


@pytest.mark.skipif(jax.default_backend() == 'gpu', reason='checks the error off the GPU')
def test_cudnn_off_a_gpu_is_a_clear_error():
  x, mask = random_batch(0)
  with pytest.raises(ValueError, match="'cudnn' needs a CUDA GPU; the default JAX backend is"):
    encoder('lstm', implementation='cudnn').init(jax.random.key(0), x, mask, train=False)


def test_cudnn_gru_and_unknown_implementations_are_clear_errors():
  x, mask = random_batch(0)
  with pytest.raises(ValueError, match="'cudnn' runs LSTMs only"):
    encoder('gru', implementation='cudnn').init(jax.random.key(0), x, mask, train=False)
  with pytest.raises(ValueError, match="unknown recurrent implementation 'pallas'"):
    encoder('lstm', implementation='pallas').init(jax.random.key(0), x, mask, train=False)
  with pytest.raises(ValueError, match='unroll=0'):
    encoder('lstm', unroll=0).init(jax.random.key(0), x, mask, train=False)


def test_config_fields_choose_the_implementation_and_unroll():
  from emorec import models  # pylint: disable=g-import-not-at-top
  from tests import test_models  # pylint: disable=g-import-not-at-top
  config = test_models.model_config(recurrent_implementation='fused', recurrent_unroll=2)
  model = models.build_model(config, test_models.DIMS, test_models.NUM_CLASSES)
  assert model.encoder_options['implementation'] == 'fused'
  assert model.encoder_options['unroll'] == 2
  # Configs without the fields keep the encoder's defaults.
  assert 'implementation' not in models.build_model(
      test_models.model_config(), test_models.DIMS, test_models.NUM_CLASSES).encoder_options
