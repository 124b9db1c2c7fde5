"""Tests of CMDM: the MMD estimators, the CMDM terms, their config and the semi-supervised step."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import cmdm as cmdm_config
from emorec import objectives
from emorec.models import build_model
from emorec.objectives import cmdm
from emorec.objectives.base import Outputs
from emorec.objectives.correlation import (
    off_diagonal_correlation, paired_correlation_loss, standardized)
from emorec.objectives.mmd import median_distance, mmd2
from emorec.training import sharding, train
from tests.padded_batches import DIMS, NUM_CLASSES, padded_features

BANDWIDTHS = {'median': None, 'fixed': (0.5, 2.0)}
ESTIMATORS = ('unbiased', 'biased')
jit_mmd2 = jax.jit(mmd2, static_argnames=('bandwidths', 'multipliers', 'estimator'))


def make_batch(seed: int) -> dict[str, np.ndarray]:
  return padded_features(seed)


def small_config(**overrides):
  """The CMDM smoke config over DIMS's three modalities, with dotted-field overrides."""
  config = cmdm_config.get_config('smoke')
  for dotted, value in overrides.items():
    section, field = dotted.split('.')
    config[section][field] = value
  return objectives.resolve(config)


@functools.cache
def _model_and_params(reconstruction: str):
  model = build_model(small_config(**{'model.reconstruction': reconstruction}).model, DIMS,
                      NUM_CLASSES)
  return model, model.init(jax.random.key(0), make_batch(0), train=False)['params']


def model_and_params(config):
  """The model of `config` (which may differ from the smoke one in its decoders only)."""
  return _model_and_params(config.model.reconstruction)


def outputs(model, params, batch) -> Outputs:
  logits, aux = model.apply({'params': params}, batch, train=False)
  return Outputs(batch, logits, aux)


def term_value(config, term_name, params, labelled, unlabelled):
  model, _ = model_and_params(config)
  term = objectives.TERMS[term_name].build(config, None)
  return term.fn(outputs(model, params, labelled), outputs(model, params, unlabelled))


def gaussian(key, n, d=4, shift=0.0):
  return jax.random.normal(key, (n, d)) + shift


# MMD estimators.

@pytest.mark.parametrize('bandwidths', BANDWIDTHS)
@pytest.mark.parametrize('estimator', ESTIMATORS)
def test_mmd_near_zero_for_one_distribution_and_grows_with_mean_shift(estimator, bandwidths):
  kx, ky = jax.random.split(jax.random.key(0))
  x = gaussian(kx, 256)
  values = [float(jit_mmd2(x, gaussian(ky, 256, shift=s), bandwidths=BANDWIDTHS[bandwidths],
                           estimator=estimator)) for s in (0.0, 0.25, 0.5, 1.0, 2.0)]
  assert abs(values[0]) < 0.01
  assert values[1] > 2 * abs(values[0])
  assert np.all(np.diff(values) > 0), values


def test_unbiased_estimator_is_unbiased_and_biased_is_nonnegative():
  def draw(key, estimator):
    kx, ky = jax.random.split(key)
    return mmd2(gaussian(kx, 12), gaussian(ky, 12), estimator=estimator)

  keys = jax.random.split(jax.random.key(1), 400)
  unbiased = np.asarray(jax.jit(jax.vmap(functools.partial(draw, estimator='unbiased')))(keys))
  biased = np.asarray(jax.jit(jax.vmap(functools.partial(draw, estimator='biased')))(keys))
  assert abs(unbiased.mean()) < 3 * unbiased.std() / np.sqrt(len(keys))
  assert unbiased.min() < 0
  assert biased.min() >= -1e-6
  assert biased.mean() > 10 * abs(unbiased.mean())


@pytest.mark.parametrize('bandwidths', BANDWIDTHS)
@pytest.mark.parametrize('estimator', ESTIMATORS)
def test_zero_weights_exclude_examples_exactly(estimator, bandwidths):
  kx, ky, kj = jax.random.split(jax.random.key(2), 3)
  x, y = gaussian(kx, 10), gaussian(ky, 7, shift=0.5)
  junk = 100.0 * gaussian(kj, 5)
  padded_x, padded_y = jnp.concatenate([junk, x]), jnp.concatenate([y, junk[:3]])
  x_weights = jnp.concatenate([jnp.zeros(5), jnp.ones(10)])
  y_weights = jnp.concatenate([jnp.ones(7), jnp.zeros(3)])
  mmd = functools.partial(jit_mmd2, bandwidths=BANDWIDTHS[bandwidths], estimator=estimator)
  np.testing.assert_allclose(mmd(padded_x, padded_y, x_weights, y_weights), mmd(x, y),
                             rtol=1e-5, atol=1e-7)
  median = jax.jit(median_distance)
  np.testing.assert_allclose(median(padded_x, x_weights), median(x, jnp.ones(10)), rtol=1e-6)


def test_median_distance_is_the_median_of_distinct_pairs():
  x = jax.random.normal(jax.random.key(3), (9, 3))
  distances = np.linalg.norm(x[:, None] - x[None], axis=-1)[np.triu_indices(9, 1)]
  np.testing.assert_allclose(jax.jit(median_distance)(x, jnp.ones(9)), np.median(distances),
                             rtol=1e-5)


@pytest.mark.parametrize('estimator, needed', [('unbiased', 2), ('biased', 1)])
def test_too_small_samples_give_zero(estimator, needed):
  x = jax.random.normal(jax.random.key(4), (4, 3))
  weights = (jnp.arange(4) < needed - 1).astype(jnp.float32)
  mmd = functools.partial(jit_mmd2, estimator=estimator)
  assert float(mmd(x, x + 1.0, weights, jnp.ones(4))) == 0.0
  assert float(mmd(x, x + 1.0, jnp.ones(4), jnp.ones(4))) > 0.0


# Divergences.

def test_paired_correlation_loss_is_zero_for_paired_copies_and_blind_to_scale():
  x = jax.random.normal(jax.random.key(6), (64, 3))
  weights = jnp.ones(64)
  rescaled = 5.0 * x + 2.0
  np.testing.assert_allclose(
      paired_correlation_loss(x, rescaled, weights, decorrelation=0.0), 0.0, atol=1e-4)
  # Shuffling the utterances of one code keeps its marginal, which the MMD sees, but breaks
  # the pairs: the mismatch becomes about 2 (1 - 0), the value for uncorrelated codes.
  shuffled = rescaled[jax.random.permutation(jax.random.key(7), 64)]
  np.testing.assert_allclose(
      paired_correlation_loss(x, shuffled, weights, decorrelation=0.0), 2.0, atol=0.5)


def test_decorrelation_penalises_codes_whose_dimensions_repeat_one_direction():
  x = jax.random.normal(jax.random.key(8), (128, 1))
  weights = jnp.ones(128)
  repeated = jnp.concatenate([x, x + 0.01 * jax.random.normal(jax.random.key(9), (128, 1))], 1)
  independent = jax.random.normal(jax.random.key(10), (128, 2))
  assert float(off_diagonal_correlation(standardized(repeated, weights), weights)) > 0.9
  assert float(off_diagonal_correlation(standardized(independent, weights), weights)) < 0.05


def test_paired_correlation_loss_ignores_rows_of_weight_zero():
  x, y = jax.random.normal(jax.random.key(11), (2, 32, 3))
  junk = 100.0 * jnp.ones((4, 3))
  weights = jnp.concatenate([jnp.ones(32), jnp.zeros(4)])
  np.testing.assert_allclose(
      paired_correlation_loss(jnp.concatenate([x, junk]), jnp.concatenate([y, -junk]), weights),
      paired_correlation_loss(x, y, jnp.ones(32)), rtol=1e-5)


def test_divergences_are_symmetric_zero_on_equal_and_bounded():
  logits = jax.random.normal(jax.random.key(5), (2, 6, 4))
  log_p, log_q = jax.nn.log_softmax(logits[0]), jax.nn.log_softmax(logits[1])
  for divergence in cmdm.DIVERGENCES.values():
    np.testing.assert_allclose(divergence(log_p, log_q), divergence(log_q, log_p), rtol=1e-6)
    np.testing.assert_allclose(divergence(log_p, log_p), 0.0, atol=1e-6)
    assert np.all(divergence(log_p, log_q) > 0)
  assert np.all(cmdm.jensen_shannon(log_p, log_q) <= np.log(2.0))
  p, q = np.exp(log_p), np.exp(log_q)
  expected = np.sum(p * np.log(p / q) + q * np.log(q / p), axis=-1)
  np.testing.assert_allclose(cmdm.symmetric_kl(log_p, log_q), expected, rtol=1e-5)


# The terms on a masked, padded batch.

TERM_CASES = {
    'reconstruction_statistics': ('reconstruction', {'model.reconstruction': 'statistics'}),
    'reconstruction_sequence': ('reconstruction', {'model.reconstruction': 'sequence'}),
    'mmd_unbiased_median': ('mmd', {}),
    'mmd_biased_fixed_on_labelled': ('mmd', {
        'cmdm.estimator': 'biased', 'cmdm.bandwidths': (0.5, 2.0), 'cmdm.mmd_on_labelled': True}),
    'prediction_matching_kl': ('prediction_matching', {'cmdm.divergence': 'kl'}),
    'code_correlation': ('code_correlation', {}),
    'code_correlation_no_decorrelation': ('code_correlation', {'cmdm.decorrelation': 0.0}),
}


@pytest.mark.parametrize('case', TERM_CASES)
def test_each_term_has_a_finite_nonzero_gradient_on_a_masked_padded_batch(case):
  name, overrides = TERM_CASES[case]
  config = small_config(**{'model.reconstruction': 'statistics', **overrides})
  _, params = model_and_params(config)
  labelled, unlabelled = make_batch(1), make_batch(2)
  value, grads = jax.jit(jax.value_and_grad(
      lambda p: term_value(config, name, p, labelled, unlabelled)))(params)
  assert np.isfinite(value) and value != 0.0
  leaves = jax.tree.leaves(grads)
  assert all(np.isfinite(g).all() for g in leaves)
  assert sum(float(jnp.sum(jnp.abs(g))) for g in leaves) > 0


def test_terms_ignore_padding_utterances_and_absent_modalities():
  config = small_config(**{'cmdm.pairs': 'text-audio'})
  _, params = model_and_params(config)
  base = make_batch(3)
  changed = dict(base)
  # Utterance 7 is padding, and utterance 1 lacks audio: neither enters a text-audio term.
  changed['text'] = base['text'].copy()
  changed['text'][[1, 7]] += 10.0
  for name in ('mmd', 'prediction_matching', 'code_correlation'):
    np.testing.assert_allclose(term_value(config, name, params, base, changed),
                               term_value(config, name, params, base, base), rtol=1e-5)


def test_mmd_term_is_invariant_to_the_device_count():
  config = small_config()
  _, params = model_and_params(config)
  labelled, unlabelled = make_batch(4), make_batch(5)
  loss = jax.value_and_grad(lambda p, a, b: term_value(config, 'mmd', p, a, b))

  def on_mesh(num_devices):
    mesh = sharding.make_data_mesh(num_devices)
    placed = jax.device_put((labelled, unlabelled), sharding.batch_sharded(mesh))
    return jax.jit(loss)(jax.device_put(params, sharding.replicated(mesh)), *placed)

  one, four = on_mesh(1), on_mesh(4)
  for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(four), strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# Config.

@pytest.mark.parametrize('ablation, zero', [
    ('none', {'prediction_matching'}),
    ('no_mmd', {'mmd', 'prediction_matching'}),
    ('no_reconstruction', {'reconstruction', 'prediction_matching'}),
    ('supervised', {'reconstruction', 'mmd', 'prediction_matching'}),
])
def test_ablations_zero_their_terms_and_keep_the_predicting_network(ablation, zero):
  config = objectives.resolve(
      cmdm_config.get_config(f'smoke,ablation={ablation},label_fraction=0.25'))
  active = {'supervised', 'modality_supervised', 'reconstruction', 'mmd'} - zero
  assert {k for k, w in config.objective.items() if w} == active
  assert config.data.label_fraction == 0.25
  assert config.model.code_dim == config.model.hidden
  assert bool(config.model.reconstruction) == ('reconstruction' not in zero)
  assert config.model.critic_hidden == 0
  terms = objectives.active_terms(config)
  assert objectives.uses_unlabelled(terms) == (ablation != 'supervised')


def test_the_paired_variant_swaps_reconstruction_for_code_correlation():
  config = objectives.resolve(cmdm_config.get_config('smoke,paired=True'))
  assert {k for k, w in config.objective.items() if w} == {
      'supervised', 'modality_supervised', 'mmd', 'code_correlation'}
  assert config.train.unlabelled_batch_size == 256
  assert not config.model.reconstruction and config.model.code_dim == config.model.hidden
  terms = objectives.active_terms(config)
  assert objectives.uses_unlabelled(terms)


@pytest.mark.parametrize('arg, message', [
    ('ablation=everything', "unknown ablation 'everything'"),
    ('dataset=imagenet', "unknown dataset 'imagenet'.*; choose one of: emodb, iemocap, meld, mosei, synthetic, text$"),
    ('smell=1', "Unknown config argument 'smell'"),
])
def test_bad_config_arguments_get_clear_errors(arg, message):
  with pytest.raises(ValueError, match=message):
    cmdm_config.get_config(arg)


@pytest.mark.parametrize('overrides, message', [
    ({'model.common_code': False}, 'objective.mmd needs model.code_dim.*common_code'),
    ({'model.reconstruction': ''}, 'objective.reconstruction needs model.reconstruction'),
    ({'cmdm.pairs': 'text-smell'}, "cmdm.pairs entry 'text-smell'"),
    ({'cmdm.pairs': 'text-text'}, "cmdm.pairs entry 'text-text'"),
    ({'cmdm.estimator': 'jackknife'}, "unknown cmdm.estimator 'jackknife'"),
    ({'cmdm.divergence': 'wasserstein'}, "unknown cmdm.divergence 'wasserstein'"),
    ({'model.modalities': ('text',)}, 'objective.mmd needs a pair of modalities'),
    ({'objective.mmd': 0.0, 'objective.code_correlation': 1.0, 'model.common_code': False},
     'objective.code_correlation needs model.code_dim'),
    ({'objective.code_correlation': 1.0, 'cmdm.decorrelation': -1.0},
     'cmdm.decorrelation must be >= 0'),
])
def test_bad_term_options_get_clear_errors(overrides, message):
  config = small_config(**{'objective.prediction_matching': 1.0, **overrides})
  with pytest.raises(ValueError, match=message):
    objectives.active_terms(config)


# The semi-supervised step.

def test_train_step_learns_from_the_unlabelled_batch():
  """Changing only the unlabelled batch changes the unsupervised terms and the gradient."""
  experiment = train.build_experiment(cmdm_config.get_config('smoke'))
  assert experiment.uses_unlabelled
  streams = train.train_batches(experiment.config, experiment.corpus, experiment.labelled,
                                experiment.mesh, 0)
  first, second = next(streams), next(streams)
  step = jax.jit(functools.partial(train.train_step, terms=experiment.terms))
  state = experiment.initial_state()
  metrics = []
  for unlabelled in (first['unlabelled'], second['unlabelled']):
    batch = sharding.to_global(
        {'labelled': first['labelled'], 'unlabelled': unlabelled}, experiment.mesh)
    metrics.append(jax.device_get(step(state, batch, jax.random.key(0))[1]))
  for values in metrics:
    assert all(np.isfinite(v) for v in values.values())
  a, b = metrics
  assert a['loss/supervised'] == b['loss/supervised']
  assert a['loss/modality_supervised'] == b['loss/modality_supervised']
  for name in ('loss/reconstruction', 'loss/mmd', 'grad_norm'):
    assert abs(a[name] - b[name]) > 1e-6 * abs(a[name]), name
