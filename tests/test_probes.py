"""The linear probes: pooling, CCA and PCA on hand-made views, and lr/pca/cca on a tiny corpus."""

import numpy as np
import pytest
import tensorflow as tf

from configs import synthetic as synthetic_config
from emorec.data import loader
from emorec.experiments import compare
from emorec.probes import cca, pca, run
from emorec.probes.features import masked_mean, pool_split
from emorec.training import train


def tiny_config(**probe):
  """The smoke corpus without style factors (their variance would fill PCA's components)."""
  config = synthetic_config.get_config('smoke')
  config.data.label_fraction = 0.25
  config.data.synthetic.style_scale = 0.0
  config.probe.update(pca_components=8, cca_components=4, **probe)
  return config


@pytest.fixture(scope='module')
def pooled():
  return run.pooled_splits(tiny_config())


def two_views(seed=0, count=2000):
  """Views sharing one latent z (noisy in each) beside a loud nuisance, each rotated."""
  rng = np.random.default_rng(seed)
  z = rng.normal(size=count)

  def view(dim):
    columns = [z + 0.5 * rng.normal(size=count), 10.0 * rng.normal(size=count)]
    columns += [rng.normal(size=count) for _ in range(dim - 2)]
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    return np.stack(columns, 1) @ rotation

  return z, view(5), view(4)


def correlation(a, b):
  return abs(np.corrcoef(a, b)[0, 1])


def test_cca_recovers_the_shared_component_that_pca_misses():
  z, x, y = two_views()
  fitted = cca.fit_cca(x, y, 2, regularization=0.0)
  u, v = cca.transform(fitted, x, y)
  # corr(z + e, z + e') with e, e' ~ N(0, 0.25): 1 / 1.25; corr(z + e, z) = 1 / sqrt(1.25).
  assert fitted.correlations[0] == pytest.approx(0.8, abs=0.03)
  assert fitted.correlations[1] < 0.1
  assert correlation(u[:, 0], z) > 0.85 and correlation(v[:, 0], z) > 0.85
  assert correlation(u[:, 0], v[:, 0]) == pytest.approx(fitted.correlations[0], abs=1e-3)
  np.testing.assert_allclose(np.cov(u.T, bias=True), np.eye(2), atol=5e-3)
  leading = pca.transform(pca.fit_pca(x, 1), x)[:, 0]
  assert correlation(leading, z) < 0.2  # the loud nuisance has the variance


def test_pca_finds_the_loud_direction_first():
  _, x, _ = two_views(seed=1)
  fitted = pca.fit_pca(x, 3)
  assert np.all(np.diff(fitted.variances) <= 0)
  components = pca.transform(fitted, x)
  np.testing.assert_allclose(np.cov(components.T, bias=True), np.diag(fitted.variances),
                             atol=1e-6)


def test_cca_checks_its_arguments():
  _, x, y = two_views(count=50)
  with pytest.raises(ValueError, match=r'num_components must be in \[1, 4\]'):
    cca.fit_cca(x, y, 5)
  with pytest.raises(ValueError, match='paired rows'):
    cca.fit_cca(x, y[:10], 2)


def test_pooling_averages_the_real_frames_the_network_sees():
  frames = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
  mask = np.array([[1, 1, 0], [0, 0, 0]], np.float32)
  np.testing.assert_allclose(masked_mean(frames, mask), [[1.0, 2.0], [0.0, 0.0]])
  config = tiny_config()
  split = loader.load_corpus(config.data).splits['validation']
  pooled = pool_split(split, ('text', 'audio'), max_len=config.data.max_len, batch_size=24)
  assert pooled.features['text'].shape[0] == split.num_examples
  np.testing.assert_array_equal(pooled.labels, split.labels)
  for index in (0, split.num_examples - 1):
    example = split.example_fn(tf.constant(index, tf.int64))
    for m in ('text', 'audio'):
      expected = example[m].numpy()[:config.data.max_len].mean(axis=0)
      np.testing.assert_allclose(pooled.features[m][index], expected, rtol=1e-5, atol=1e-6)


def test_probes_label_the_utterances_the_trainer_labels(pooled):
  config = tiny_config()
  splits, _ = pooled
  np.testing.assert_array_equal(run.labelled_indices(config, splits['train'].labels),
                                train.build_experiment(config).labelled)


@pytest.mark.parametrize('name, projection, width', [
    ('lr', 'concat', 300 + 74 + 35), ('pca', 'concat', 8), ('cca', 'concat', 8),
    ('cca', 'mean', 4)])
def test_probes_score_the_tiny_corpus(pooled, name, projection, width):
  config = tiny_config(cca_projection=projection)
  splits, emotions = pooled
  labelled = run.labelled_indices(config, splits['train'].labels)
  metrics = run.fit_probe(name, config.probe, tuple(config.model.modalities), splits, labelled,
                          emotions)
  assert metrics['probe/dim'] == width
  for key in ('validation/wa', 'test/wa', 'test/ua', 'test/weighted_f1'):
    assert 0.0 <= metrics[key] <= 1.0, key
  assert metrics['test/wa'] > 1.5 / len(emotions)  # better than chance on separable classes


def test_run_probe_gives_the_trainer_keys():
  metrics = run.run_probe(tiny_config(), 'lr')
  assert {'test/wa', 'test/ua', 'validation/wa', 'probe/l2'} <= set(metrics)


@pytest.mark.parametrize('name, field, value, message', [
    ('knn', None, None, "unknown probe 'knn'"),
    ('cca', 'probe.cca_pairs', 'text-speech', 'probe.cca_pairs entry'),
    ('cca', 'probe.cca_projection', 'sum', "unknown probe.cca_projection 'sum'"),
    ('lr', 'data.held_out', ('sad',), 'data.held_out'),
])
def test_bad_probe_options_get_clear_errors(name, field, value, message):
  config = tiny_config()
  if field:
    section, leaf = field.split('.')
    config[section][leaf] = value
  with pytest.raises(ValueError, match=message):
    run.run_probe(config, name)


def test_comparisons_fit_a_probe_variant_instead_of_training(tmp_path):
  config = synthetic_config.get_config('smoke')
  results = compare.run_variants(config, [('LR probe', {'probe': 'lr', 'data.label_fraction': '0.5'})],
                                 num_seeds=2, workdir=str(tmp_path))
  assert 0.0 <= results['LR probe']['test/wa'] <= 1.0
  assert [p.name for p in tmp_path.iterdir()] == ['results.json']  # nothing was trained


def test_comparisons_in_one_workdir_merge_their_results(tmp_path):
  config = synthetic_config.get_config('smoke')
  first = [('LR probe', {'probe': 'lr', 'data.label_fraction': '0.5'})]
  second = [('CCA probe', {'probe': 'cca', 'data.label_fraction': '0.5'})]
  compare.run_variants(config, first, num_seeds=1, workdir=str(tmp_path))
  compare.run_variants(config, second, num_seeds=1, workdir=str(tmp_path))
  assert set(compare.load(str(tmp_path / 'results.json'))) == {'LR probe', 'CCA probe'}


def test_a_comparison_stops_at_a_run_stopped_by_sigterm(tmp_path, monkeypatch):
  trained = []

  def stopped(config, workdir, *, quiet):
    del config, quiet
    trained.append(workdir)
    return train.TrainResult(None, {}, completed=False)

  monkeypatch.setattr(train, 'train_and_evaluate', stopped)
  variants = [('first', {}), ('second', {})]
  results = compare.run_variants(synthetic_config.get_config('smoke'), variants, num_seeds=1,
                                 workdir=str(tmp_path))
  assert results == {} and len(trained) == 1
  assert not (tmp_path / 'results.json').exists()


def test_run_dirs_change_with_a_variants_fields_and_seeds():
  """A run is resumed only by the variant that started it, never by whichever comes i-th."""
  name = compare.run_dir_name('2% · hidden 32', {'model.hidden': '32'}, 5)
  assert name.startswith('2-hidden-32-')
  assert name == compare.run_dir_name('2% · hidden 32', {'model.hidden': '32'}, 5)
  assert name != compare.run_dir_name('2% · hidden 32', {'model.hidden': '16'}, 5)
  assert name != compare.run_dir_name('2% · hidden 32', {'model.hidden': '32'}, 2)


def test_style_factors_survive_pooling_and_cca_on_unlabelled_utterances_removes_them():
  """Style factors, independent across modalities, survive pooling: with few labels the raw
  probe is misled by them, while CCA, fitted on every (unlabelled) training utterance, keeps
  what the modalities share."""
  config = synthetic_config.get_config('smoke')
  config.data.synthetic.update(num_train=2000, style_scale=4.0)
  config.data.label_fraction = 0.03
  config.probe.update(cca_components=8, cca_pairs='text-audio')
  results = run.run_probes(config, ('lr', 'cca'))
  assert results['cca']['test/wa'] > results['lr']['test/wa'] + 0.03


def test_the_testbed_preset_grows_its_budget_with_the_label_share():
  steps = {share: synthetic_config.get_config(f'testbed,label_fraction={share}').train.num_steps
           for share in (0.02, 0.1, 0.2, 0.5, 1.0)}
  assert steps == {0.02: 800, 0.1: 800, 0.2: 1600, 0.5: 3000, 1.0: 3000}
  testbed = synthetic_config.get_config('testbed,label_fraction=0.02')
  default = synthetic_config.get_config('label_fraction=0.02')
  changed = {f'{section}.{field}' for section in ('model', 'train')
             for field, value in testbed[section].items() if default[section][field] != value}
  assert changed == {'model.num_layers', 'model.hidden', 'model.fusion_hidden', 'model.dropout',
                     'train.learning_rate', 'train.num_steps', 'train.eval_every',
                     'train.checkpoint_every'}
  assert testbed.data.to_dict() == default.data.to_dict()


def test_the_testbed_network_does_not_lose_to_the_linear_probe_with_few_labels(tmp_path):
  """The README's testbed network (`configs/synthetic.py:testbed`) against logistic regression
  on the same pooled features, 5% of a small corpus's labels (a shorter run than the preset's)."""
  config = synthetic_config.get_config('smoke,testbed,label_fraction=0.05')
  config.data.synthetic.update(num_train=2000, num_validation=300, num_test=300)
  config.data.max_len = 12
  config.train.update(batch_size=32, num_steps=600, checkpoint_every=600)
  probe = run.run_probes(config, ('lr',))['lr']['test/wa']
  network = train.train_and_evaluate(config, str(tmp_path), quiet=True).metrics['test/wa']
  assert network >= probe - 0.01, (network, probe)
