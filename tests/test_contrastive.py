"""Tests of CR: the estimators, the pair critic, the contrastive term, its config and its runs."""

import functools
import json

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from configs import contrastive as contrastive_config
from emorec import objectives
from emorec.experiments import config_args
from emorec.models import build_model, critic, modality_encoders
from emorec.objectives import contrastive
from emorec.objectives.base import Outputs
from emorec.training import sharding, train
from tests.padded_batches import DIMS, NUM_CLASSES, padded_features

LABELS = (0, 1, 2, 0, 1, 2, 0, 1)
ESTIMATORS = ('bce', 'infonce', 'mine')


def make_batch(seed: int, *, labelled: bool = True) -> dict[str, np.ndarray]:
  """The shared padded batch, with labels unless `labelled` is False."""
  batch = padded_features(seed)
  if labelled:
    batch['label'] = np.array(LABELS, np.int32)
  return batch


def smoke_config(arg: str = '', **overrides):
  """The CR smoke config with `arg`, then dotted-field overrides given as strings."""
  config = contrastive_config.get_config(f'smoke,{arg}' if arg else 'smoke')
  return objectives.resolve(config_args.apply_overrides(config, overrides))


@functools.cache
def _model_and_params(model_json: str):
  model = build_model(ml_collections.ConfigDict(json.loads(model_json)), DIMS, NUM_CLASSES)
  init = jax.jit(functools.partial(model.init, train=False))
  return model, init(jax.random.key(0), make_batch(0))['params']


def model_and_params(config):
  """The model `config` describes, over DIMS, and its initial parameters."""
  return _model_and_params(config.model.to_json())


def term_value(config, params, labelled, unlabelled):
  """The contrastive term of `config` on the model's outputs for the two batches."""
  model, _ = model_and_params(config)
  term = objectives.TERMS['contrastive'].build(config, None)

  def outputs(batch):
    logits, aux = model.apply({'params': params}, batch, train=False)
    return Outputs(batch, logits, aux)

  return term.fn(outputs(labelled), outputs(unlabelled))


# The estimators on codes whose pairing is known.

def code_pairs(key, aligned: bool, *, rotate: bool = True, size: int = 64, dim: int = 2):
  """Codes z_a, z_b [size, dim]: z_b = z_a (R) + noise when aligned, else independent of z_a."""
  ka, kb, kr = jax.random.split(key, 3)
  z_a = jax.random.normal(ka, (size, dim))
  if not aligned:
    return z_a, jax.random.normal(kb, (size, dim))
  rotation = jnp.linalg.qr(jax.random.normal(kr, (dim, dim)))[0] if rotate else jnp.eye(dim)
  return z_a, z_a @ rotation + 0.1 * jax.random.normal(kb, (size, dim))


def shuffle_masks(size: int):
  ones = jnp.ones(size)
  return contrastive.pair_masks(ones, ones, None, positives='same_utterance',
                                negatives='shuffle')


@functools.partial(jax.jit, static_argnames='estimator')
def fitted_critic_loss(estimator: str, train_codes, test_codes) -> jax.Array:
  """The loss on `test_codes` of a critic fitted to `train_codes` (300 Adam steps)."""
  loss = {'bce': contrastive.bce_loss, 'mine': contrastive.mine_loss}[estimator]
  module = critic.PairCritic(32)
  masks = shuffle_masks(train_codes[0].shape[0])

  def value(params, codes):
    return loss(module.apply(params, *codes), *masks)

  tx = optax.adam(3e-3)
  params = module.init(jax.random.key(1), *train_codes)

  def step(carry, _):
    params, opt_state = carry
    updates, opt_state = tx.update(jax.grad(value)(params, train_codes), opt_state)
    return (optax.apply_updates(params, updates), opt_state), None

  (params, _), _ = jax.lax.scan(step, (params, tx.init(params)), length=300)
  return value(params, test_codes)


@pytest.mark.parametrize('estimator', ['bce', 'mine'])
def test_critic_estimators_are_lower_on_aligned_codes(estimator):
  train_key, test_key = jax.random.split(jax.random.key(2))
  aligned, independent = (
      float(fitted_critic_loss(estimator, code_pairs(train_key, a), code_pairs(test_key, a)))
      for a in (True, False))
  assert aligned < independent - 0.3, (aligned, independent)


def test_infonce_is_lower_on_aligned_codes():
  @jax.jit
  def loss(z_a, z_b):
    return contrastive.infonce_loss(contrastive.cosine_scores(z_a, z_b, 0.1), *shuffle_masks(64))

  # Cosine similarity compares codes in one space: z_b = z_a + noise, not rotated.
  aligned, independent = (float(loss(*code_pairs(jax.random.key(3), a, rotate=False)))
                          for a in (True, False))
  assert aligned < independent - 1.0, (aligned, independent)


def test_pair_masks():
  rows = jnp.array([1.0, 1.0, 0.0, 1.0])
  columns = jnp.array([1.0, 0.0, 1.0, 1.0])
  labels = jnp.array([0, 1, 0, 0])
  masks = functools.partial(contrastive.pair_masks, rows, columns, labels)
  positive, negative = masks(positives='same_utterance', negatives='shuffle')
  np.testing.assert_array_equal(positive, np.diag([1, 0, 0, 1]))
  np.testing.assert_array_equal(negative, [[0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0],
                                           [1, 0, 0, 0]])
  positive, negative = masks(positives='same_emotion', negatives='different_emotion')
  np.testing.assert_array_equal(positive, [[1, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0],
                                           [1, 0, 1, 1]])
  np.testing.assert_array_equal(negative, [[0, 0, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0],
                                           [0, 0, 0, 0]])
  # Same-emotion pairings are positives, never negatives.
  _, negative_all = masks(positives='same_emotion', negatives='all')
  np.testing.assert_array_equal(negative_all, negative)


def test_masked_logsumexp_matches_and_survives_empty_masks():
  x = jax.random.normal(jax.random.key(4), (3, 5))
  mask = jnp.array([[1, 0, 1, 1, 0], [0] * 5, [1] * 5], jnp.float32)
  values, grads = jax.jit(jax.vmap(jax.value_and_grad(contrastive.masked_logsumexp)))(x, mask)
  exact = np.asarray(x, np.float64)
  np.testing.assert_allclose(values[0], np.log(np.exp(exact[0, [0, 2, 3]]).sum()), rtol=1e-6)
  np.testing.assert_allclose(values[2], np.log(np.exp(exact[2]).sum()), rtol=1e-6)
  assert np.isfinite(values[1])
  np.testing.assert_array_equal(grads * (1 - mask), 0.0)


@jax.jit
def _mine_value_and_grads(scores, shift):
  """mine_loss of `scores` + `shift` on shuffle masks, and its gradient in both."""
  return jax.value_and_grad(
      lambda s, c: contrastive.mine_loss(s + c, *shuffle_masks(6)), argnums=(0, 1))(scores, shift)


def test_mine_value_is_the_dv_bound_with_the_corrected_gradient():
  scores = jax.random.normal(jax.random.key(5), (6, 6))
  negative = np.asarray(shuffle_masks(6)[1]) > 0
  value, (grads, _) = _mine_value_and_grads(scores, 0.0)
  negatives = np.exp(np.asarray(scores)[negative])
  np.testing.assert_allclose(value, np.log(np.mean(negatives)) - np.mean(np.diag(scores)),
                             rtol=1e-5)
  # The gradient of -mean_pos S + mean_neg exp(S): the denominator is exp(-bias), not the
  # batch's mean of exp(S).
  np.testing.assert_allclose(np.diag(grads), -1 / 6, rtol=1e-6)
  np.testing.assert_allclose(np.asarray(grads)[negative], negatives / 6, rtol=1e-5)


def test_mine_bias_tracks_the_log_denominator():
  """A shift c of every score keeps the value; its gradient vanishes at c = -log mean exp(S)."""
  scores = jax.random.normal(jax.random.key(6), (6, 6))
  negative = np.asarray(shuffle_masks(6)[1]) > 0
  optimum = -np.log(np.mean(np.exp(np.asarray(scores)[negative])))
  value, (_, at_optimum) = _mine_value_and_grads(scores, optimum)
  shifted, (_, above) = _mine_value_and_grads(scores, optimum + 0.5)
  np.testing.assert_allclose(shifted, value, rtol=1e-5)
  np.testing.assert_allclose(at_optimum, 0.0, atol=1e-5)
  assert above > 0


# The critic and the model.

def test_critic_is_an_mlp_on_every_concatenated_pair():
  z_a, z_b = jax.random.normal(jax.random.key(8), (2, 3, 4))
  z_b = z_b[:, :2]
  module = critic.PairCritic(5)
  params = jax.jit(module.init)(jax.random.key(0), z_a, z_b)
  scores = jax.jit(module.apply)(params, z_a, z_b)
  p = jax.tree.map(np.asarray, params['params'])
  assert scores.shape == (3, 3)
  kernel = np.concatenate([p['left']['kernel'], p['right']['kernel']])
  for i, j in ((0, 2), (1, 1), (2, 0)):
    hidden = np.maximum(np.concatenate([z_a[i], z_b[j]]) @ kernel + p['left']['bias'], 0)
    np.testing.assert_allclose(scores[i, j], hidden @ p['out']['kernel'][:, 0] + p['out']['bias'],
                               rtol=1e-5, atol=1e-6)
  # (4*5 + 5) + 2*5 + (5 + 1)
  assert sum(x.size for x in jax.tree.leaves(params)) == 41


def _param_shapes(config):
  model = build_model(config.model, DIMS, NUM_CLASSES)
  return jax.eval_shape(functools.partial(model.init, train=False), jax.random.key(0),
                        make_batch(0))['params']


def test_model_scores_configured_pairs():
  model, params = model_and_params(smoke_config())
  _, aux = jax.jit(functools.partial(model.apply, train=False))({'params': params}, make_batch(1))
  assert {k: v.shape for k, v in aux['pair_scores'].items()} == {'audio-text': (8, 8)}
  assert {name for name in params if name.startswith('critic_')} == {'critic_audio_text'}
  all_pairs = _param_shapes(smoke_config(**{'contrastive.pairs': 'all'}))
  assert {name for name in all_pairs if name.startswith('critic_')} == {
      'critic_text_audio', 'critic_text_vision', 'critic_audio_vision'}


def test_baseline_is_the_same_predicting_network():
  cr, baseline = _param_shapes(smoke_config()), _param_shapes(smoke_config('baseline'))
  assert baseline == {name: p for name, p in cr.items() if name != 'critic_audio_text'}


@pytest.mark.parametrize('name', sorted(modality_encoders.MODALITY_ENCODERS))
def test_modality_encoders_ignore_padding_and_survive_empty_sequences(name):
  batch = make_batch(2)
  x, mask = batch['text'], batch['text_mask']
  encoder = modality_encoders.MODALITY_ENCODERS[name](hidden=6)
  variables = jax.jit(functools.partial(encoder.init, train=False))(jax.random.key(0), x, mask)

  @jax.jit
  def codes_and_grads(x, mask):
    def total(variables):
      code = encoder.apply(variables, x, mask, train=False)
      return jnp.sum(code), code
    return jax.value_and_grad(total, has_aux=True)(variables)

  (_, code), grads = codes_and_grads(x, mask)
  (_, noisy), _ = codes_and_grads(np.where(mask[..., None] > 0, x, 1e3), mask)
  (_, empty), empty_grads = codes_and_grads(x, np.zeros_like(mask))
  assert code.shape == (8, 6)
  np.testing.assert_array_equal(noisy, code)
  assert all(np.isfinite(a).all() for a in jax.tree.leaves((code, grads, empty, empty_grads)))


# The term on a masked, padded batch.

TERM_CASES = {
    'bce': ('estimator=bce', {}),
    'bce_all_negatives_on_unlabelled_too': ('estimator=bce', {
        'contrastive.negatives': 'all', 'contrastive.on_unlabelled': 'True'}),
    'infonce_same_emotion': ('estimator=infonce', {
        'contrastive.positives': 'same_emotion', 'contrastive.negatives': 'different_emotion'}),
    'mine_all_pairs': ('estimator=mine', {'contrastive.pairs': 'all'}),
}


@pytest.mark.parametrize('case', TERM_CASES)
def test_term_has_finite_nonzero_gradients_on_a_padded_batch(case):
  arg, overrides = TERM_CASES[case]
  config = smoke_config(arg, **overrides)
  _, params = model_and_params(config)
  batches = make_batch(3), make_batch(4, labelled=False)
  value, grads = jax.jit(jax.value_and_grad(
      lambda p: term_value(config, p, *batches)))(params)
  assert np.isfinite(value) and value != 0.0
  assert all(np.isfinite(g).all() for g in jax.tree.leaves(grads))
  # The regularizer shapes the codes of both modalities of the pair.
  for name in ('encoder_audio', 'encoder_text', 'project_audio', 'project_text'):
    assert sum(float(jnp.sum(jnp.abs(g))) for g in jax.tree.leaves(grads[name])) > 0, name


@pytest.mark.parametrize('estimator', ESTIMATORS)
def test_term_ignores_padding_utterances_and_other_modalities(estimator):
  config = smoke_config(f'estimator={estimator}')
  _, params = model_and_params(config)
  base = make_batch(5)
  changed = dict(base)
  # Utterance 7 is padding, and the audio-text term reads no vision.
  for m in ('text', 'audio'):
    changed[m] = base[m].copy()
    changed[m][7] += 10.0
  changed['vision'] = base['vision'] + 10.0
  value = jax.jit(functools.partial(term_value, config, params))
  np.testing.assert_allclose(value(changed, base), value(base, base), rtol=1e-5)


@pytest.mark.parametrize('estimator', ESTIMATORS)
def test_term_is_invariant_to_the_device_count(estimator):
  """The term and its gradients in the critic and the codes, with the batch split or not."""
  config = smoke_config(f'estimator={estimator}', **{'contrastive.on_unlabelled': 'True'})
  term = objectives.TERMS['contrastive'].build(config, None)
  module = critic.PairCritic(4)
  # Codes of the labelled and the unlabelled batch: {m: [2, B, 3]}.
  codes = {m: jax.random.normal(jax.random.key(i), (2, 8, 3)) for i, m in enumerate(DIMS)}
  params = module.init(jax.random.key(3), codes['audio'][0], codes['text'][0])
  batches = (make_batch(6), make_batch(7, labelled=False))

  def outputs(params, batch, codes):
    present = {m: batch[f'{m}_mask'].sum(-1) > 0 for m in DIMS}
    scores = {'audio-text': module.apply(params, codes['audio'], codes['text'])}
    return Outputs(batch, None, {'present': present, 'common_codes': codes,
                                 'pair_scores': scores})

  def value(params, codes, labelled, unlabelled):
    first, second = ({m: z[i] for m, z in codes.items()} for i in range(2))
    return term.fn(outputs(params, labelled, first), outputs(params, unlabelled, second))

  def on_mesh(num_devices):
    mesh = sharding.make_data_mesh(num_devices)
    split_codes = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(None, 'data'))
    return jax.jit(jax.value_and_grad(value, argnums=(0, 1)))(
        jax.device_put(params, sharding.replicated(mesh)), jax.device_put(codes, split_codes),
        *jax.device_put(batches, sharding.batch_sharded(mesh)))

  one, four = on_mesh(1), on_mesh(4)
  for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(four), strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# Config.

def test_alpha_sets_the_objective_weights_and_overrides_follow():
  config = contrastive_config.get_config('smoke,alpha=0.2')
  assert {k: w for k, w in config.objective.items() if w} == {
      'supervised': 0.8, 'contrastive': 0.2}
  config = config_args.apply_overrides(config, {'contrastive.alpha': '0.5',
                                                'contrastive.pairs': 'all'})
  assert (config.objective.supervised, config.objective.contrastive) == (0.5, 0.5)
  assert objectives.resolve(config).model.critic_pairs == 'all'


@pytest.mark.parametrize('estimator, critic_hidden', [('bce', 8), ('mine', 8), ('infonce', 0)])
def test_critics_are_built_for_the_estimators_that_read_them(estimator, critic_hidden):
  model = smoke_config(f'estimator={estimator}').model
  assert (model.critic_hidden, model.code_dim) == (critic_hidden, model.hidden)


def test_variants():
  assert contrastive_config.get_config('conflict_share=0.4').data.synthetic.conflict_share == 0.4
  baseline = contrastive_config.get_config('smoke,baseline')
  assert set(objectives.active_terms(baseline)) == {'supervised'}
  assert not objectives.resolve(baseline).model.critic_hidden
  for estimator in ESTIMATORS:
    config = contrastive_config.get_config(f'smoke,estimator={estimator}')
    assert set(objectives.active_terms(config)) == {'supervised', 'contrastive'}
  authors = contrastive_config.get_config('authors')
  assert authors.train.batch_size == 128
  assert tuple(authors.model.modalities) == ('audio', 'text')


@pytest.mark.parametrize('arg, overrides, message', [
    ('', {'contrastive.estimator': 'jsd'}, "unknown contrastive.estimator 'jsd'"),
    ('', {'contrastive.negatives': 'hard'}, "unknown contrastive.negatives 'hard'"),
    ('', {'model.critic_hidden': '0'}, 'set model.critic_hidden > 0'),
    ('estimator=infonce', {'model.common_code': 'False'}, 'compares common codes'),
    ('', {'contrastive.on_unlabelled': 'True', 'contrastive.negatives': 'different_emotion'},
     'on_unlabelled needs label-free pairings'),
    ('', {'contrastive.pairs': 'audio-smell'}, "contrastive.pairs entry 'audio-smell'"),
    ('', {'contrastive.temperature': '0.0'}, 'must be positive'),
])
def test_bad_options_get_clear_errors(arg, overrides, message):
  with pytest.raises(ValueError, match=message):
    objectives.active_terms(smoke_config(arg, **overrides))


def test_pairs_without_critics_are_named():
  config = ml_collections.ConfigDict(smoke_config().to_dict())  # pairs no longer linked
  config.contrastive.pairs = 'audio-vision'
  with pytest.raises(ValueError, match='needs critics the model lacks'):
    objectives.active_terms(config)


# Training.

@pytest.mark.parametrize('estimator', ESTIMATORS)
def test_smoke_run(estimator, tmp_path):
  # One device: test_term_is_invariant_to_the_device_count covers the mesh.
  config = config_args.apply_overrides(
      contrastive_config.get_config(f'smoke,estimator={estimator}'),
      {'model.modalities': "('audio', 'text')", 'train.num_steps': '2', 'train.log_every': '1',
       'train.eval_every': '2', 'train.checkpoint_every': '2', 'num_devices': '1'})
  result = train.train_and_evaluate(config, str(tmp_path), quiet=True)
  assert result.completed
  assert 0.0 <= result.metrics['test/wa'] <= 1.0


def test_authors_network_takes_a_step():
  config = contrastive_config.get_config('smoke,authors')
  config.num_devices = 1
  experiment = train.build_experiment(config)
  state = experiment.initial_state()
  params = state.params
  assert params['encoder_audio']['dense']['kernel'].shape[-1] == 512
  assert params['encoder_text']['lstm']['cell']['hi']['kernel'].shape == (200, 200)
  assert 'fusion' not in params  # concatenation and dropout only
  assert params['head_fused']['kernel'].shape == (712, experiment.corpus.num_classes)
  batch = sharding.to_global(next(experiment.train_batches(0)), experiment.mesh)
  state, metrics = experiment.train_step()(state, batch, jax.random.key(0))
  assert all(np.isfinite(v) for v in jax.device_get(metrics).values())
  assert int(state.step) == 1
