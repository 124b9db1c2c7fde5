"""Tests of the modality encoders, fusion modules and the multimodal classifier."""

import functools
from typing import Any, Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from emorec import models
from emorec.models import autoencoder, encoders, fusion

DIMS = {'text': 5, 'audio': 3, 'vision': 2}
# Real frames per utterance and modality; 0 marks the modality absent for that utterance.
# With text and audio: utterance 0 has both, 1 text only, 2 neither.
LENGTHS = {'text': (6, 3, 0), 'audio': (4, 0, 0), 'vision': (0, 2, 5)}
MAX_LEN = 6
NUM_CLASSES = 3

# Encoders 4 wide: (name, num_layers, other fields).
ENCODER_CASES = {
    'meanpool_x2': ('meanpool', 2, {}),
    'gru_forward_last': ('gru', 1, {'bidirectional': False, 'pooling': 'last'}),
    'lstm_concat_mean_x2': ('lstm', 2, {'merge': 'concat', 'pooling': 'mean'}),
    'lstm_sum_last': ('lstm', 1, {'merge': 'sum', 'pooling': 'last'}),
    'transformer_sinusoidal_x2': ('transformer', 2, {'num_heads': 2}),
    'transformer_learned': ('transformer', 1, {
        'num_heads': 2, 'positions': 'learned', 'max_length': MAX_LEN}),
}


def make_batch(modalities: tuple[str, ...] = tuple(DIMS), seed: int = 0) -> dict[str, np.ndarray]:
  """Random values in every frame (padding included) and masks of LENGTHS real frames."""
  rng = np.random.default_rng(seed)
  batch = {}
  for m in modalities:
    batch[m] = rng.normal(size=(len(LENGTHS[m]), MAX_LEN, DIMS[m])).astype(np.float32)
    batch[f'{m}_mask'] = (np.arange(MAX_LEN) < np.array(LENGTHS[m])[:, None]).astype(np.float32)
  return batch


def model_config(**overrides) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict({
      'modalities': ('text', 'audio'),
      'encoder': 'lstm',
      'hidden': 4,
      'modality_hidden': {'audio': 2},
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
  variables: Any
  inputs: tuple[Any, ...]
  apply: Callable[..., Any]  # module.apply, jitted


def _initialise(module: nn.Module, *inputs) -> Built:
  variables = module.init(jax.random.key(0), *inputs, train=False)
  return Built(module, variables, inputs,
               jax.jit(module.apply, static_argnames=('train', 'mutable')))


@functools.cache
def _build(overrides: tuple[tuple[str, Any], ...]) -> Built:
  model = models.build_model(model_config(**dict(overrides)), DIMS, NUM_CLASSES)
  return _initialise(model, make_batch(model.modalities))


def build(**overrides) -> Built:
  """The classifier of ``model_config(**overrides)``, initialised on ``make_batch``."""
  return _build(tuple(sorted(overrides.items())))


@functools.cache
def build_encoder(case: str) -> Built:
  """The encoder of ENCODER_CASES[case], initialised on the text of ``make_batch``."""
  name, num_layers, options = ENCODER_CASES[case]
  encoder = encoders.make_encoder(name, hidden=4, num_layers=num_layers, dropout=0.5,
                                  **options)
  batch = make_batch(('text',))
  return _initialise(encoder, batch['text'], batch['text_mask'])


def count(params) -> int:
  return sum(x.size for x in jax.tree.leaves(params))


@pytest.mark.parametrize('fusion_name', ['concat', 'attention'])
@pytest.mark.parametrize('encoder', ['meanpool', 'gru', 'lstm', 'transformer'])
def test_output_shapes(encoder, fusion_name):
  built = build(encoder=encoder, fusion=fusion_name)
  logits, aux = built.apply(built.variables, *built.inputs, train=False)
  assert logits.shape == (3, NUM_CLASSES)
  assert {m: c.shape for m, c in aux['codes'].items()} == {'text': (3, 4), 'audio': (3, 2)}
  assert {m: p.dtype for m, p in aux['present'].items()} == {'text': bool, 'audio': bool}
  assert aux['fused'].shape == (3, 6)
  assert {m: x.shape for m, x in aux['modality_logits'].items()} == {
      'text': (3, NUM_CLASSES), 'audio': (3, NUM_CLASSES)}
  assert set(built.variables['params']) == {
      'encoder_text', 'encoder_audio', 'fusion', 'head_fused', 'head_text', 'head_audio'}


def _encoder(name: str, **fields) -> nn.Module:
  return encoders.make_encoder(name, dropout=0.0, **fields)


_TEXT = tuple(make_batch(('text',)).values())
_CODES = ({'text': jnp.ones((3, 4)), 'audio': jnp.ones((3, 3))},
          {'text': jnp.ones(3, bool), 'audio': jnp.ones(3, bool)})

# Inputs: text features (D = 5) for encoders; codes text (4 wide) and audio (3 wide) for
# fusion. Dense d -> h: d*h + h. LayerNorm h: 2h. LSTM direction d -> h: 4(d*h + h*h + h)
# (its input kernels have no bias). GRU d -> h: 3(d*h + h*h + h) + h.
# Transformer 4 wide, 1 block: embedding; 2 LayerNorms, q/k/v/out projections, MLP
# 4 -> 16 -> 4; final LayerNorm.
_TRANSFORMER_H4_X1 = (5*4 + 4) + 2 * 2*4 + 4*(4*4 + 4) + (4*16 + 16) + (16*4 + 4) + 2*4
PARAMETER_COUNTS = [
    # (name, module, inputs, expected count)
    ('meanpool h4 x2', _encoder('meanpool', hidden=4, num_layers=2), _TEXT,
     (5*4 + 4) + (4*4 + 4) + 2*4),
    ('gru forward h4 x1', _encoder('gru', hidden=4, num_layers=1, bidirectional=False), _TEXT,
     3*(5*4 + 4*4 + 4) + 4),
    ('bilstm sum h4 x1', _encoder('lstm', hidden=4, num_layers=1, merge='sum'), _TEXT,
     2 * 4*(5*4 + 4*4 + 4)),
    # Concatenated directions are 2 units each; the second layer reads both (4 features).
    ('bilstm concat h4 x2', _encoder('lstm', hidden=4, num_layers=2, merge='concat'), _TEXT,
     2 * 4*(5*2 + 2*2 + 2) + 2 * 4*(4*2 + 2*2 + 2)),
    ('transformer h4 x1', _encoder('transformer', hidden=4, num_layers=1, num_heads=2), _TEXT,
     _TRANSFORMER_H4_X1),
    ('transformer h4 x1 learned positions', _encoder(
        'transformer', hidden=4, num_layers=1, num_heads=2, positions='learned',
        max_length=6), _TEXT, _TRANSFORMER_H4_X1 + 6*4),
    ('concat fusion f5', fusion.make_fusion('concat', hidden=5, dropout=0.0), _CODES,
     (4 + 3)*5 + 5),
    # Projections, then the scoring MLP 5 -> 5 -> 1 (no output bias).
    ('attention fusion f5', fusion.make_fusion('attention', hidden=5, dropout=0.0), _CODES,
     (4*5 + 5) + (3*5 + 5) + (5*5 + 5) + 5),
]


@pytest.mark.parametrize('module, inputs, expected', [case[1:] for case in PARAMETER_COUNTS],
                         ids=[case[0] for case in PARAMETER_COUNTS])
def test_parameter_counts(module, inputs, expected):
  shapes = jax.eval_shape(functools.partial(module.init, train=False), jax.random.key(0), *inputs)
  assert count(shapes['params']) == expected


def test_classifier_parameter_count():
  # 1-layer meanpool encoders: text (5 -> 4), audio (3 -> 2, from modality_hidden); concat
  # fusion to 6; 3 classes.
  built = build(encoder='meanpool', fusion='concat')
  assert {name: count(p) for name, p in built.variables['params'].items()} == {
      'encoder_text': (5*4 + 4) + 2*4,
      'encoder_audio': (3*2 + 2) + 2*2,
      'fusion': (4 + 2)*6 + 6,
      'head_fused': 6*3 + 3,
      'head_text': 4*3 + 3,
      'head_audio': 2*3 + 3,
  }


@pytest.mark.parametrize('case', ENCODER_CASES)
def test_encoders_ignore_padded_frames_and_survive_empty_sequences(case):
  built = build_encoder(case)
  x, mask = built.inputs

  def total(variables, x):
    code = built.module.apply(variables, x, mask, train=False)
    return jnp.sum(code), code

  codes_and_grads = jax.jit(jax.value_and_grad(total, has_aux=True))
  (_, code), grads = codes_and_grads(built.variables, x)
  noisy = np.where(mask[..., None] > 0, x, 1e3 * np.random.default_rng(1).normal(size=x.shape))
  noisy[1, -1, 0] = np.nan
  (_, noisy_code), noisy_grads = codes_and_grads(built.variables, noisy)
  np.testing.assert_array_equal(noisy_code, code)
  # Utterance 2 has no frames: its code and every gradient stay finite.
  assert all(np.isfinite(a).all() for a in jax.tree.leaves((code, grads, noisy_grads)))
  # Utterance 1 alone, cut to its 3 real frames, gets the same code.
  alone = built.module.apply(built.variables, x[1:2, :3], mask[1:2, :3], train=False)
  np.testing.assert_allclose(alone[0], code[1], rtol=1e-5, atol=1e-6)


def test_recurrent_last_pooling_reads_last_forward_and_first_backward_states():
  built = build_encoder('lstm_sum_last')
  x, mask = built.inputs
  code = built.apply(built.variables, x, mask, train=False)
  cell = nn.OptimizedLSTMCell(4)
  step = jax.jit(cell.apply)
  np.testing.assert_array_equal(code[2], 0.0)  # no frames
  for i, length in enumerate(LENGTHS['text'][:2]):
    final = {}
    for direction, frames in (('forward_rnn', x[i, :length]),
                              ('backward_rnn', x[i, :length][::-1])):
      carry = cell.initialize_carry(jax.random.key(0), frames[0].shape)
      for frame in frames:
        carry, final[direction] = step(
            {'params': built.variables['params']['layer_0'][direction]['cell']}, carry, frame)
    np.testing.assert_allclose(code[i], final['forward_rnn'] + final['backward_rnn'],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('fusion_name', ['concat', 'attention'])
def test_absent_modalities_give_finite_outputs_and_gradients(fusion_name):
  built = build(encoder='meanpool', fusion=fusion_name)

  def total(variables):
    (logits, aux), state = built.module.apply(variables, *built.inputs, train=False,
                                              mutable='intermediates')
    return logits.sum(), (logits, aux, state)

  (_, (logits, aux, state)), grads = jax.jit(jax.value_and_grad(total, has_aux=True))(
      built.variables)
  assert all(np.isfinite(x).all() for x in jax.tree.leaves((logits, aux, grads)))
  # Utterance 0 has text and audio, 1 text only, 2 neither.
  np.testing.assert_array_equal(aux['present']['text'], [True, True, False])
  np.testing.assert_array_equal(aux['present']['audio'], [True, False, False])
  if fusion_name == 'attention':
    # Columns in sorted modality order: audio, text.
    weights = state['intermediates']['fusion']['weights'][0]
    np.testing.assert_array_equal(weights[1:], [[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(weights[0].sum(), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(aux['fused'][2], 0.0)


@pytest.mark.parametrize('modalities', [('text',), ('audio', 'vision'), ('vision', 'text')])
def test_any_subset_of_modalities(modalities):
  built = build(modalities=modalities, encoder='meanpool', fusion='attention')
  logits, aux = built.apply(built.variables, make_batch(), train=False)
  assert logits.shape == (3, NUM_CLASSES)
  assert set(aux['codes']) == set(modalities)
  assert {name for name in built.variables['params'] if name.startswith('encoder_')} == {
      f'encoder_{m}' for m in modalities}


def test_dropout_only_when_training():
  built = build(encoder='meanpool', fusion='concat')

  def logits(train, seed=0):
    return built.apply(built.variables, *built.inputs, train=train,
                       rngs={'dropout': jax.random.key(seed)})[0]

  np.testing.assert_array_equal(logits(False, 0), logits(False, 1))
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
    ('num_layers', 0, 'num_layers=0; an encoder needs at least one layer'),
])
def test_bad_encoder_options_get_clear_errors(field, value, message):
  model = models.build_model(model_config(**{field: value}), DIMS, NUM_CLASSES)
  with pytest.raises(ValueError, match=message):
    jax.eval_shape(functools.partial(model.init, train=False), jax.random.key(0), make_batch())


def test_learned_positions_refuse_longer_sequences():
  encoder = _encoder('transformer', hidden=4, num_layers=1, num_heads=2, positions='learned',
                     max_length=5)
  with pytest.raises(ValueError, match='6 frames exceed max_length=5'):
    jax.eval_shape(functools.partial(encoder.init, train=False), jax.random.key(0), *_TEXT)


def test_missing_batch_modality_is_named():
  built = build(encoder='meanpool', fusion='concat')
  batch = dict(built.inputs[0])
  del batch['audio']
  with pytest.raises(ValueError, match="the batch lacks 'audio'"):
    built.apply(built.variables, batch, train=False)


@pytest.mark.parametrize('encoder', ['meanpool', 'gru', 'lstm', 'transformer'])
def test_jit_matches_eager(encoder):
  built = build(encoder=encoder, fusion='attention')
  jitted = built.apply(built.variables, *built.inputs, train=False)
  eager = built.module.apply(built.variables, *built.inputs, train=False)
  jax.tree.map(functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-6),
               jitted, eager)


def test_jit_traces_once_per_shape():
  built = build(encoder='meanpool', fusion='concat')
  traces = []

  @jax.jit
  def forward(variables, batch):
    traces.append(None)
    return built.module.apply(variables, batch, train=False)

  for seed in range(3):
    forward(built.variables, make_batch(seed=seed))
  assert len(traces) == 1


def test_plain_classifier_has_no_autoencoder_outputs():
  built = build(encoder='meanpool', fusion='concat')
  _, aux = built.apply(built.variables, *built.inputs, train=False)
  assert set(aux) == {'codes', 'present', 'fused', 'modality_logits'}


def test_autoencoder_parameter_count():
  # As test_classifier_parameter_count, plus projections to code_dim 3 (which fusion and heads
  # then read) and statistics decoders 3 -> 5 -> 2 D_m.
  built = build(encoder='meanpool', fusion='concat', code_dim=3, reconstruction='statistics',
                decoder_width=5, decoder_depth=1)
  assert {name: count(p) for name, p in built.variables['params'].items()} == {
      'encoder_text': (5*4 + 4) + 2*4,
      'encoder_audio': (3*2 + 2) + 2*2,
      'project_text': 4*3 + 3,
      'project_audio': 2*3 + 3,
      'fusion': (3 + 3)*6 + 6,
      'head_fused': 6*3 + 3,
      'head_text': 3*3 + 3,
      'head_audio': 3*3 + 3,
      'decoder_text': (3*5 + 5) + (5*10 + 10),
      'decoder_audio': (3*5 + 5) + (5*6 + 6),
  }


def test_shared_modality_head_scores_every_common_code():
  built = build(encoder='meanpool', fusion='concat', code_dim=3, shared_modality_head=True)
  params = built.variables['params']
  assert {name for name in params if name.startswith('head_')} == {'head_fused', 'head_modalities'}
  assert count(params['head_modalities']) == 3*3 + 3
  _, aux = built.apply(built.variables, *built.inputs, train=False)
  head = params['head_modalities']
  for m, code in aux['common_codes'].items():
    np.testing.assert_allclose(aux['modality_logits'][m], code @ head['kernel'] + head['bias'],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('overrides, message', [
    ({}, 'needs the codes in one space: set model.common_code=True'),
    ({'code_dim': 3, 'head': 'emotion_embedding'}, "is a 'classifier' head's option"),
])
def test_shared_modality_head_refuses_what_it_cannot_share(overrides, message):
  config = model_config(shared_modality_head=True, **overrides)
  with pytest.raises(ValueError, match=message):
    models.build_model(config, DIMS, NUM_CLASSES)


@pytest.mark.parametrize('reconstruction', ['statistics', 'sequence'])
def test_reconstructions_and_their_targets(reconstruction):
  built = build(encoder='meanpool', fusion='attention', code_dim=3,
                reconstruction=reconstruction, decoder_width=5, decoder_depth=2)
  batch = built.inputs[0]
  logits, aux = built.apply(built.variables, batch, train=False)
  assert logits.shape == (3, NUM_CLASSES)
  assert {m: z.shape for m, z in aux['common_codes'].items()} == {'text': (3, 3), 'audio': (3, 3)}
  for m, (prediction, target, mask) in aux['reconstructions'].items():
    assert prediction.shape == target.shape
    x, frames = batch[m], batch[f'{m}_mask']
    if reconstruction == 'statistics':
      np.testing.assert_array_equal(mask, aux['present'][m])
      for i, length in enumerate(LENGTHS[m][:3]):
        if length:
          real = x[i, :length]
          np.testing.assert_allclose(target[i], np.concatenate([real.mean(0), real.std(0)]),
                                     rtol=1e-4, atol=1e-3)
    else:
      np.testing.assert_array_equal(mask, frames)
      np.testing.assert_array_equal(target, x * frames[..., None])


def test_utterance_statistics_of_an_empty_sequence_are_finite():
  x = np.full((1, 4, 2), np.nan, np.float32)
  stats = autoencoder.utterance_statistics(x, np.zeros((1, 4), np.float32))
  assert stats.shape == (1, 4) and np.isfinite(stats).all()


def test_unknown_reconstruction_is_named():
  with pytest.raises(ValueError, match="unknown reconstruction 'pixels'; choose one of: "
                                       'sequence, statistics'):
    models.build_model(model_config(reconstruction='pixels'), DIMS, NUM_CLASSES)
