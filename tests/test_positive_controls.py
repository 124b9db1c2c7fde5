"""Positive controls trained by the network: pseudo-labels on augmented views of the unlabelled
batch, and cross-modal contrastive learning on the unlabelled batch alone."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from emorec import objectives
from emorec.experiments import config_args
from emorec.objectives.base import Outputs, Term
from emorec.objectives.pseudo_label import confident_cross_entropy
from emorec.objectives.views import ViewOptions
from emorec.training import sharding, train
from tests.padded_batches import DIMS, padded_features
from tests.test_config_surface import REPO

# Pseudo-labels alone: every gradient comes from the term.
PSEUDO_ONLY = {'objective.supervised': '0.0', 'objective.modality_supervised': '0.0',
               'objective.pseudo_label': '1.0'}
# The contrastive positive control's config line.
CONTRASTIVE = {'objective.contrastive': '0.3', 'contrastive.on_unlabelled': 'True',
               'contrastive.estimator': 'infonce'}


def load(**overrides):
  spec = config_args.config_from_spec('configs/synthetic.py:smoke', REPO)
  return config_args.apply_overrides(spec, overrides)


def one_step(config):
  """The metrics of the first train step of ``config``."""
  experiment = train.build_experiment(config)
  batch = next(experiment.train_batches(0))
  state = experiment.initial_state()
  _, metrics = experiment.train_step()(state, sharding.to_global(batch, experiment.mesh),
                                       experiment.rngs()[1])
  return jax.device_get(metrics)


# The pseudo-label term.

def test_confident_cross_entropy_masks_unconfident_and_padding_utterances():
  weak = jnp.array([[8.0, 0.0, 0.0], [0.0, 0.1, 0.0], [0.0, 0.0, 9.0], [7.0, 0.0, 0.0]])
  strong = jax.random.normal(jax.random.key(0), (4, 3))
  weights = jnp.array([1.0, 1.0, 1.0, 0.0])  # the last utterance is padding
  value, (weak_grad, strong_grad) = jax.value_and_grad(
      confident_cross_entropy, argnums=(0, 1))(weak, strong, weights, 0.9)
  losses = optax.softmax_cross_entropy_with_integer_labels(strong, jnp.array([0, 0, 2, 0]))
  np.testing.assert_allclose(value, (losses[0] + losses[2]) / 3, rtol=1e-6)
  np.testing.assert_array_equal(weak_grad, 0.0)  # the pseudo-labels take no gradient
  strong_grad = np.asarray(strong_grad)
  np.testing.assert_array_equal(strong_grad[[1, 3]], 0.0)
  assert np.all(np.abs(strong_grad[[0, 2]]) > 0)


def test_no_confident_prediction_gives_zero():
  value, grad = jax.value_and_grad(confident_cross_entropy, argnums=1)(
      jnp.zeros((5, 4)), jnp.ones((5, 4)), jnp.ones(5), 0.5)
  assert float(value) == 0.0 and np.all(grad == 0.0)


def test_pseudo_labels_reach_the_gradient_and_follow_the_seed_on_any_mesh():
  """With every prediction confident the term alone moves the parameters; replica 1 of a
  vectorised two-seed ensemble on 4 devices is the single run of seed 1 on one device, and
  the two seeds draw different views. (No confident prediction gives 0: tested above.)"""
  low = {**PSEUDO_ONLY, 'pseudo_label.threshold': '1e-6', 'data.seed': '0'}
  ensemble = one_step(load(**low, num_seeds='2', seed_axis='vectorized', num_devices='4'))
  single = one_step(load(**low, seed='1', num_devices='1'))
  assert np.all(ensemble['loss/pseudo_label'] > 0) and np.all(ensemble['grad_norm'] > 0)
  np.testing.assert_allclose(ensemble['loss/pseudo_label'][1], single['loss/pseudo_label'],
                             rtol=2e-5)
  np.testing.assert_allclose(ensemble['grad_norm'][1], single['grad_norm'], rtol=1e-4)
  assert ensemble['loss/pseudo_label'][0] != ensemble['loss/pseudo_label'][1]


def test_views_must_agree_between_terms():
  terms = {'a': (Term(None, True, {'weak': ViewOptions()}), 1.0),
           'b': (Term(None, True, {'weak': ViewOptions(noise=1.0)}), 1.0)}
  with pytest.raises(ValueError, match="view 'weak'"):
    objectives.views(terms)


@pytest.mark.parametrize('field, value, message', [
    ('pseudo_label.threshold', '0.0', r'threshold=0.0 must be in \(0, 1\]'),
    ('pseudo_label.strong.frame_dropout', '1.0', r'strong.frame_dropout=1.0 must be in'),
])
def test_bad_pseudo_label_options_get_clear_errors(field, value, message):
  with pytest.raises(ValueError, match=message):
    objectives.active_terms(load(**PSEUDO_ONLY, **{field: value}))


def test_pseudo_label_smoke_run(tmp_path):
  config = load(**{'objective.pseudo_label': '1.0', 'pseudo_label.threshold': '0.2',
                   'train.num_steps': '2', 'train.eval_every': '2'})
  result = train.train_and_evaluate(config, str(tmp_path), quiet=True)
  assert result.completed
  for key in ('test/wa', 'test/ua'):
    assert 0.0 <= result.metrics[key] <= 1.0


# Contrastive learning on the unlabelled batch.

def contrastive_outputs(seed):
  """Outputs of a padded batch whose common codes are random: what the infonce term reads."""
  batch = padded_features(seed)
  codes = {m: jax.random.normal(jax.random.key(seed + i), (8, 4)) for i, m in enumerate(DIMS)}
  present = {m: batch[f'{m}_mask'].sum(-1) > 0 for m in DIMS}
  return Outputs(batch, None, {'present': present, 'common_codes': codes})


def test_contrastive_on_the_unlabelled_batch_only_reads_it():
  def value(on_labelled, on_unlabelled, labelled_seed=0):
    config = objectives.resolve(load(**{
        **CONTRASTIVE, 'contrastive.on_labelled': str(on_labelled),
        'contrastive.on_unlabelled': str(on_unlabelled)}))
    term = objectives.TERMS['contrastive'].build(config, None)
    assert term.uses_unlabelled == on_unlabelled
    return float(term.fn(contrastive_outputs(labelled_seed), contrastive_outputs(10)))

  unlabelled = value(False, True)
  assert unlabelled == pytest.approx(value(False, True, labelled_seed=5), rel=1e-6)
  labelled = value(True, False)
  assert labelled != pytest.approx(unlabelled, rel=1e-3)
  assert value(True, True) == pytest.approx(0.5 * (labelled + unlabelled), rel=1e-6)


def test_contrastive_on_unlabelled_batches_trains_alone():
  metrics = one_step(load(**CONTRASTIVE, **{
      'contrastive.on_labelled': 'False', 'objective.supervised': '0.0',
      'objective.modality_supervised': '0.0'}))
  assert np.isfinite(metrics['loss/contrastive']) and float(metrics['grad_norm']) > 0


def test_contrastive_on_no_batch_is_an_error():
  config = load(**{**CONTRASTIVE, 'contrastive.on_labelled': 'False',
                   'contrastive.on_unlabelled': 'False'})
  with pytest.raises(ValueError, match='regularize no batch'):
    objectives.active_terms(config)
