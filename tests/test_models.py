"""Tests of the modality encoders, fusion modules and the multimodal classifier."""

import functools

import jax
import jax.numpy as jnp
import flax.linen as nn
import ml_collections
import numpy as np
import pytest

from emorec import models
from emorec.models import encoders, fusion

DIMS = {'text': 5, 'audio': 3, 'vision': 2}
# Real frames per utterance and modality; 0 marks the modality absent for that utterance.
LENGTHS = {'text': (6, 3, 1), 'audio': (4, 0, 6), 'vision': (0, 0, 2)}
MAX_LEN = 6
NUM_CLASSES = 3

ENCODER_CASES = {
    'meanpool': ('meanpool', {}),
    'gru_forward_last': ('gru', {'bidirectional': False, 'pooling': 'last'}),
    'lstm_concat_mean': ('lstm', {'merge': 'concat', 'pooling': 'mean'}),
    'lstm_sum_last': ('lstm', {'merge': 'sum', 'pooling': 'last'}),
    'transformer_sinusoidal': ('transformer', {'num_heads': 2}),
    'transformer_learned': ('transformer', {
        'num_heads': 2, 'positions': 'learned', 'max_length': MAX_LEN}),
}


def make_batch(modalities=tuple(DIMS), lengths=None, seed=0):
  """Features with random values in every frame (padding included) and prefix masks."""
  lengths = lengths or LENGTHS
  rng = np.random.default_rng(seed)
  batch = {}
  for m in modalities:
    batch[m] = rng.normal(size=(len(lengths[m]), MAX_LEN, DIMS[m])).astype(np.float32)
    batch[f'{m}_mask'] = (np.arange(MAX_LEN) < np.array(lengths[m])[:, None]).astype(np.float32)
  return batch


def model_config(**overrides) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict({
      'modalities': tuple(DIMS),
      'encoder': 'lstm',
      'hidden': 4,
      'modality_hidden': {'vision': 2},
      'num_layers': 1,
      'num_heads': 2,
      'bidirectional': True,
      'merge_directions': 'concat',
      'pooling': 'mean',
      'fusion': 'concat',
      'fusion_hidden': 6,
      'dropout': 0.5,
  })
  config.update(overrides)
  return config


class Built(NamedTuple):
  module: nn.Module
  params: Any
  inputs: tuple[Any, ...]
  apply: Callable[..., Any]  # module.apply, jitted


def _initialise(module: nn.Module, *inputs) -> Built:
  init = jax.jit(module.init, static_argnames='train')
  params = init(jax.random.key(0), *inputs, train=False)['params']
  return Built(module, params, inputs, jax.jit(module.apply, static_argnames=('train', 'mutable')))


@functools.cache
def _build(overrides: tuple[tuple[str, Any], ...]) -> Built:
  model = models.build_model(model_config(**dict(overrides)), DIMS, NUM_CLASSES)
  return _initialise(model, make_batch(model.modalities))


def build(**overrides) -> Built:
  """The classifier of ``model_config(**overrides)``, initialised on ``make_batch``."""
  return _build(tuple(sorted(overrides.items())))


@functools.cache
def build_encoder(case: str, num_layers: int = 2) -> Built:
  """The encoder of ENCODER_CASES[case] (4 wide), initialised on the text of ``make_batch``."""
  name, options = ENCODER_CASES[case]
  encoder = encoders.make_encoder(name, hidden=4, num_layers=num_layers, dropout=0.5,
                                  **options)
  batch = make_batch(('text',))
  return _initialise(encoder, batch['text'], batch['text_mask'])


def count(params) -> int:
  return sum(x.size for x in jax.tree.leaves(params))


@pytest.mark.parametrize('fusion_name', ['concat', 'attention'])
@pytest.mark.parametrize('encoder', ['meanpool', 'gru', 'lstm', 'transformer'])
def test_output_shapes(encoder, fusion_name):
  model, params, batch = build(encoder=encoder, fusion=fusion_name)
  logits, aux = model.apply({'params': params}, batch, train=False)
  assert logits.shape == (3, NUM_CLASSES)
  assert {m: c.shape for m, c in aux['codes'].items()} == {
      'text': (3, 4), 'audio': (3, 4), 'vision': (3, 2)}
  assert {m: p.dtype for m, p in aux['present'].items()} == {m: jnp.bool_ for m in DIMS}
  assert aux['fused'].shape == (3, 6)
  assert {m: x.shape for m, x in aux['modality_logits'].items()} == {
      m: (3, NUM_CLASSES) for m in DIMS}
  assert set(params) == {'encoder_text', 'encoder_audio', 'encoder_vision', 'fusion',
                         'head_fused', 'head_text', 'head_audio', 'head_vision'}


def _encoder_module(name, **options):
  return encoders.make_encoder(name, dropout=0.0, **options)


_TEXT = (make_batch(('text',))['text'], make_batch(('text',))['text_mask'])
_CODES = ({'text': jnp.ones((3, 4)), 'audio': jnp.ones((3, 3))},
          {'text': jnp.ones(3, bool), 'audio': jnp.ones(3, bool)})

# Inputs: text features D = 5; codes of widths text 4, audio 3. Modality dims are DIMS.
# Dense d -> h: d*h + h. LayerNorm h: 2h. LSTM direction d -> h: 4(d*h + h*h + h) (input
# kernels have no bias). GRU d -> h: 3(d*h + h*h + h) + h.
PARAMETER_COUNTS = [
    # name, module, inputs, expected
    ('meanpool h4 x2', _encoder_module('meanpool', hidden=4, num_layers=2), _TEXT,
     (5*4 + 4) + (4*4 + 4) + 2*4),
    ('gru forward h4 x1', _encoder_module('gru', hidden=4, num_layers=1, bidirectional=False),
     _TEXT, 3*(5*4 + 4*4 + 4) + 4),
    ('bilstm sum h4 x1', _encoder_module('lstm', hidden=4, num_layers=1, merge='sum'), _TEXT,
     2 * 4*(5*4 + 4*4 + 4)),
    # Concatenated directions: 2 units each; the second layer reads 4 features.
    ('bilstm concat h4 x2', _encoder_module('lstm', hidden=4, num_layers=2, merge='concat'),
     _TEXT, 2 * 4*(5*2 + 2*2 + 2) + 2 * 4*(4*2 + 2*2 + 2)),
    # embed, then per block: 2 LayerNorms, q/k/v/out projections, MLP 4 -> 16 -> 4; final norm.
    ('transformer h4 x1', _encoder_module('transformer', hidden=4, num_layers=1, num_heads=2),
     _TEXT, (5*4 + 4) + 2*2*4 + 4*(4*4 + 4) + (4*16 + 16) + (16*4 + 4) + 2*4),
    ('transformer learned positions', _encoder_module(
        'transformer', hidden=4, num_layers=1, num_heads=2, positions='learned', max_length=6),
     _TEXT, 276 + 6*4),
    ('concat fusion f5', fusion.make_fusion('concat', hidden=5, dropout=0.0), _CODES,
     (4 + 3)*5 + 5),
    # projections, then the scoring MLP 5 -> 5 -> 1 (no output bias).
    ('attention fusion f5', fusion.make_fusion('attention', hidden=5, dropout=0.0), _CODES,
     (4*5 + 5) + (3*5 + 5) + (5*5 + 5) + 5),
]


@pytest.mark.parametrize('module, inputs, expected',
                         [case[1:] for case in PARAMETER_COUNTS],
                         ids=[case[0] for case in PARAMETER_COUNTS])
def test_parameter_counts(module, inputs, expected):
  params = module.init(jax.random.key(0), *inputs, train=False)['params']
  assert count(params) == expected


def test_classifier_parameter_count():
  # meanpool encoders (1 layer, 4 wide) on text 5 and audio 3, concat fusion to 6, 3 classes.
  model, params, _ = build(modalities=('text', 'audio'), encoder='meanpool', num_layers=1)
  expected = {
      'encoder_text': (5*4 + 4) + 2*4,
      'encoder_audio': (3*4 + 4) + 2*4,
      'fusion': (4 + 4)*6 + 6,
      'head_fused': 6*3 + 3,
      'head_text': 4*3 + 3,
      'head_audio': 4*3 + 3,
  }
  assert {name: count(p) for name, p in params.items()} == expected
  assert model.modalities == ('text', 'audio')


@pytest.mark.parametrize('case', ENCODER_CASES)
def test_encoders_ignore_padded_frames(case):
  encoder, params, x, mask = init_encoder(case)
  code = encoder.apply(params, x, mask, train=False)
  noisy = np.where(mask[..., None] > 0, x, 1e3 * np.random.default_rng(1).normal(size=x.shape))
  noisy[1, -1, 0] = np.nan
  np.testing.assert_array_equal(encoder.apply(params, noisy, mask, train=False), code)
  for i, length in enumerate(LENGTHS['text']):
    alone = encoder.apply(params, x[i:i + 1, :length], mask[i:i + 1, :length], train=False)
    np.testing.assert_allclose(alone[0], code[i], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('case', ENCODER_CASES)
def test_encoders_give_finite_codes_and_gradients_without_frames(case):
  encoder, params, x, _ = init_encoder(case)
  mask = np.zeros(x.shape[:2], np.float32)

  def total(params):
    return jnp.sum(encoder.apply(params, x, mask, train=False))

  code = encoder.apply(params, x, mask, train=False)
  assert np.isfinite(code).all()
  assert all(np.isfinite(g).all() for g in jax.tree.leaves(jax.grad(total)(params)))


def test_recurrent_last_pooling_reads_last_forward_and_first_backward_state():
  encoder, params, x, mask = init_encoder('lstm_sum_last', num_layers=1)
  code = encoder.apply(params, x, mask, train=False)
  cell = nn.OptimizedLSTMCell(4)
  for i, length in enumerate(LENGTHS['text']):
    final = {}
    for direction, frames in (('forward_rnn', x[i, :length]),
                              ('backward_rnn', x[i, :length][::-1])):
      carry = cell.initialize_carry(jax.random.key(0), frames[0].shape)
      for frame in frames:
        carry, hidden = cell.apply(
            {'params': params['params']['layer_0'][direction]['cell']}, carry, frame)
      final[direction] = hidden
    np.testing.assert_allclose(code[i], final['forward_rnn'] + final['backward_rnn'],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('fusion_name', ['concat', 'attention'])
def test_absent_modalities_give_finite_outputs(fusion_name):
  model, params, batch = build(fusion=fusion_name)
  (logits, aux), state = model.apply({'params': params}, batch, train=False,
                                     mutable=['intermediates'])
  assert all(np.isfinite(x).all() for x in jax.tree.leaves((logits, aux)))
  np.testing.assert_array_equal(aux['present']['audio'], [True, False, True])
  if fusion_name == 'attention':
    # Modalities in sorted order: audio, text, vision.
    weights = state['intermediates']['fusion']['weights'][0]
    present = np.stack([aux['present'][m] for m in sorted(DIMS)], axis=1)
    np.testing.assert_array_equal(weights[~present], 0.0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)


def test_attention_fusion_without_any_modality_gives_zeros():
  module = fusion.AttentionFusion(hidden=5)
  codes, present = _CODES
  absent = {m: jnp.zeros_like(p) for m, p in present.items()}
  params = module.init(jax.random.key(0), codes, present, train=False)

  def total(params):
    return jnp.sum(module.apply(params, codes, absent, train=False))

  np.testing.assert_array_equal(module.apply(params, codes, absent, train=False), 0.0)
  assert all(np.isfinite(g).all() for g in jax.tree.leaves(jax.grad(total)(params)))


@pytest.mark.parametrize('modalities', [('text',), ('audio', 'vision'), ('vision', 'text')])
def test_any_subset_of_modalities(modalities):
  model, params, _ = build(modalities=modalities, fusion='attention')
  logits, aux = model.apply({'params': params}, make_batch(), train=False)
  assert logits.shape == (3, NUM_CLASSES)
  assert set(aux['codes']) == set(modalities)
  assert {name for name in params if name.startswith('encoder_')} == {
      f'encoder_{m}' for m in modalities}


def test_dropout_only_when_training():
  model, params, batch = build(encoder='transformer', num_layers=1)

  def logits(train, seed=0):
    return model.apply({'params': params}, batch, train=train,
                       rngs={'dropout': jax.random.key(seed)})[0]

  np.testing.assert_array_equal(logits(False, 0), logits(False, 1))
  np.testing.assert_array_equal(logits(False), model.apply({'params': params}, batch,
                                                           train=False)[0])
  np.testing.assert_array_equal(logits(True, 0), logits(True, 0))
  assert not np.allclose(logits(True, 0), logits(True, 1))
  assert not np.allclose(logits(True, 0), logits(False))


@pytest.mark.parametrize('field, value, message', [
    ('encoder', 'wavenet',
     "unknown encoder 'wavenet'; choose one of: gru, lstm, meanpool, transformer"),
    ('fusion', 'sum', "unknown fusion 'sum'; choose one of: attention, concat"),
    ('modalities', ('text', 'smell'),
     "model.modalities names 'smell', which the corpus lacks; it has: text, audio, vision"),
    ('modalities', (), 'model.modalities is empty'),
    ('modality_hidden', {'smell': 3}, "model.modality_hidden names 'smell'"),
])
def test_bad_config_values_get_clear_errors(field, value, message):
  with pytest.raises(ValueError, match=message):
    models.build_model(model_config(**{field: value}), DIMS, NUM_CLASSES)


@pytest.mark.parametrize('field, value, message', [
    ('merge_directions', 'max', "unknown merge 'max'; choose one of: concat, sum"),
    ('pooling', 'max', "unknown pooling 'max'; choose one of: last, mean"),
    ('hidden', 5, 'hidden=5 must be even'),
])
def test_bad_encoder_options_get_clear_errors(field, value, message):
  with pytest.raises(ValueError, match=message):
    build(**{field: value})


def test_missing_batch_modality_is_named():
  model, params, batch = build()
  del batch['vision']
  with pytest.raises(ValueError, match="the batch lacks 'vision'"):
    model.apply({'params': params}, batch, train=False)


@pytest.mark.parametrize('encoder', ['meanpool', 'gru', 'lstm', 'transformer'])
def test_jit_matches_eager_and_traces_once(encoder):
  model, params, batch = build(encoder=encoder, fusion='attention')
  traces = []

  @jax.jit
  def forward(params, batch):
    traces.append(None)
    return model.apply({'params': params}, batch, train=False)

  eager = model.apply({'params': params}, batch, train=False)
  forward(params, make_batch(seed=1))
  jitted = forward(params, batch)
  assert len(traces) == 1
  jax.tree.map(functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-6),
               jitted, eager)
