"""MTEE: label tables as data, the zero/few-shot protocols, multi-label losses and metrics."""

import dataclasses
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from configs import transfer
from emorec import models
from emorec.data import pipeline, synthetic
from emorec.evaluation import evaluate, protocols
from emorec.experiments import compare, config_args, report, zero_shot
from emorec.objectives import supervised
from emorec.objectives.base import Outputs
from emorec.training import sharding, train
from emorec.training.labels import label_table, model_labels, relabel

DIMS = {'text': 5, 'audio': 3, 'vision': 2}
TRAINED = ('happy', 'sad', 'angry')
SWAPPED = ('sad', 'calm', 'happy', 'fear')


def mtee_config(text_width: int = 384, **embedding) -> ml_collections.ConfigDict:
  """Mean-pool encoders (text as wide as the word vectors, audio 4, vision 3) and the MTEE
  head, whose options ``embedding`` overrides."""
  return ml_collections.ConfigDict({
      'modalities': tuple(DIMS), 'encoder': 'meanpool', 'hidden': 4,
      'modality_hidden': {'text': text_width, 'vision': 3}, 'num_layers': 1, 'num_heads': 2,
      'bidirectional': True, 'merge_directions': 'sum', 'pooling': 'last',
      'fusion': 'concat', 'fusion_hidden': 6, 'dropout': 0.0, 'head': 'emotion_embedding',
      'emotion_embedding': {'map': 'linear', 'text_map': 'identity', 'map_hidden': 8,
                            'similarity': 'dot', 'temperature': 0.1, 'centred': True,
                            **embedding},
  })


def make_batch(present: dict[str, tuple[bool, ...]] | None = None) -> dict[str, np.ndarray]:
  rng = np.random.default_rng(0)
  batch = {}
  for m, dim in DIMS.items():
    batch[m] = rng.normal(size=(3, 4, dim)).astype(np.float32)
    rows = np.array((present or {}).get(m, (True,) * 3), np.float32)
    batch[f'{m}_mask'] = np.repeat(rows[:, None], 4, axis=1)
  return batch


def build(words=TRAINED, **overrides) -> tuple[nn.Module, dict]:
  config = mtee_config(**overrides)
  model = models.build_model(config, DIMS, len(words),
                             labels=model_labels(config, words))
  return model, model.init(jax.random.key(0), make_batch(), train=False)['params']


def test_swapping_the_label_table_changes_the_outputs_and_nothing_else():
  model, params = build(map='mlp')
  swapped = relabel(model, SWAPPED)
  logits, aux = model.apply({'params': params}, make_batch(), train=False)
  new_logits, new_aux = swapped.apply({'params': params}, make_batch(), train=False)
  assert logits.shape == (3, 3) and new_logits.shape == (3, 4)
  shapes = jax.eval_shape(lambda: swapped.init(jax.random.key(0), make_batch(), train=False))
  assert jax.tree.map(lambda x: x.shape, shapes['params']) == jax.tree.map(jnp.shape, params)
  shared = [(TRAINED.index(e), SWAPPED.index(e)) for e in TRAINED if e in SWAPPED]
  for old, new in shared:
    np.testing.assert_allclose(new_logits[:, new], logits[:, old], rtol=1e-6)
    for m in DIMS:
      np.testing.assert_allclose(new_aux['modality_logits'][m][:, new],
                                 aux['modality_logits'][m][:, old], rtol=1e-6)
  assert relabel(swapped, TRAINED) == model


def test_parameters_have_no_emotion_axis():
  _, params = build()
  assert jax.tree.map(jnp.shape, params)['modality_weights'] == (3,)
  assert set(params) == {'encoder_text', 'encoder_audio', 'encoder_vision', 'map_audio',
                         'map_vision', 'modality_weights'}
  np.testing.assert_allclose(params['modality_weights'], 1 / 3)


def test_logits_sum_the_weighted_scores_of_present_modalities():
  model, params = build()
  batch = make_batch({'audio': (True, False, True), 'vision': (False, False, True)})
  logits, aux = model.apply({'params': params}, batch, train=False)
  present = {m: np.asarray(p, np.float32) for m, p in aux['present'].items()}
  expected = sum(present[m][:, None] * np.asarray(s) / 3 for m, s in aux['modality_logits'].items())
  np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)


def test_cosine_scores_are_bounded_by_the_inverse_temperature():
  model, params = build(similarity='cosine')
  _, aux = model.apply({'params': params}, make_batch(), train=False)
  assert all(np.abs(s).max() <= 10 + 1e-4 for s in aux['modality_logits'].values())


def test_identity_map_needs_the_word_vector_width():
  with pytest.raises(ValueError, match='identity map needs text codes as wide as the word vectors'):
    build(text_width=4)


def test_label_tables_compare_by_value():
  table = label_table(TRAINED)
  again = label_table(list(TRAINED))
  assert table == again and hash(table) == hash(again) and len(table) == 3
  assert table != label_table(SWAPPED)


def test_config_variants():
  config = transfer.get_config('held_out=sad+happy,few_shot,label_fraction=0.2,baseline')
  assert config.data.held_out == ('sad', 'happy') and config.data.few_shot == 0.01
  assert config.data.label_fraction == 0.2 and config.model.head == 'classifier'
  config = transfer.get_config('multi_label')
  assert config.data.synthetic.multi_label and config.eval.selection_metric == 'wacc'
  assert (config.data.max_len, config.train.batch_size, config.model.dropout) == (50, 64, 0.15)
  assert dict(config.model.modality_hidden) == {'text': 384, 'audio': 200, 'vision': 100}


@pytest.mark.parametrize('arg', ['smoke,held_out=sad', 'smoke,multi_label,held_out=sad'])
def test_held_out_emotion_never_enters_the_training_stream(arg):
  experiment = train.build_experiment(transfer.get_config(arg))
  corpus, view = experiment.corpus, experiment.view
  assert 'sad' not in view.emotions and view.num_classes == corpus.num_classes - 1
  sad = protocols.positives(corpus.splits['train'].labels, corpus.emotions.index('sad'))
  batch_size = 32
  stream = pipeline.train_stream(
      view.splits['train'], experiment.labelled, modalities=('text',), max_len=2,
      keys=('index', view.label_key), global_batch_size=batch_size, seed=0)
  batches = list(stream.take(math.ceil(2 * len(experiment.labelled) / batch_size)))
  seen = np.concatenate([b['index'].numpy() for b in batches])
  assert not sad[seen].any()
  assert set(seen) == set(np.flatnonzero(~sad))
  labels = np.concatenate([b[view.label_key].numpy() for b in batches])
  if corpus.multi_label:
    np.testing.assert_array_equal(
        labels, np.delete(corpus.splits['train'].labels[seen], corpus.emotions.index('sad'), 1))
  else:
    assert labels.max() < view.num_classes
    assert [view.emotions[y] for y in labels] == [corpus.emotions[y] for y in
                                                  corpus.splits['train'].labels[seen]]


@pytest.mark.parametrize('arg', ['smoke,held_out=sad,few_shot',
                                 'smoke,multi_label,held_out=sad,few_shot'])
def test_few_shot_keeps_ceil_one_percent_plus_one_positives(arg):
  experiment = train.build_experiment(transfer.get_config(arg))
  k = experiment.corpus.emotions.index('sad')
  assert experiment.view.emotions == experiment.corpus.emotions
  for split in ('train', 'validation'):
    total = protocols.positives(experiment.corpus.splits[split].labels, k).sum()
    kept = protocols.positives(experiment.view.splits[split].labels, k).sum()
    assert total > 1 and kept == math.ceil(0.01 * total) + 1


def test_few_shot_count():
  labels = np.repeat(np.arange(3), [250, 101, 1])
  for k, expected in ((0, 4), (1, 3), (2, 1)):
    kept = protocols.kept_indices(labels, (k,), 0.01, seed=(0,))
    assert np.sum(labels[kept] == k) == expected
    assert np.all(np.isin(np.flatnonzero(labels != k), kept))


class Echo(nn.Module):
  """Returns the logits the batch carries, with no per-modality head."""

  @nn.compact
  def __call__(self, batch, *, train):
    return batch['logits'], {'modality_logits': {}, 'present': {}}


def _logit(p):
  return np.log(p) - np.log1p(-np.asarray(p))


def test_multilabel_metrics_through_evaluation():
  # Two emotions, five utterances and one padding row (label 1, score 0, valid 0), two batches.
  labels = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [0, 1], [1, 1]], np.float32)
  scores = np.array([[.9, .3], [.6, .7], [.4, .8], [.2, .6], [.1, .2], [.01, .01]])
  valid = np.array([1, 1, 1, 1, 1, 0], np.float32)
  batches = [{'logits': _logit(scores[i:i + 3]).astype(np.float32), 'labels': labels[i:i + 3],
              'valid': valid[i:i + 3]} for i in (0, 3)]
  mesh = sharding.make_data_mesh(1)
  step = evaluate.make_eval_step(Echo(), mesh)
  results, = evaluate.evaluate(step, {}, batches, mesh, ('joy', 'fear'))
  # joy: TP 1, FP 1, FN 1, TN 2; fear: TP 2, FP 1, FN 1, TN 1 (threshold 0.5).
  expected = {'wacc/joy': (1 / 2 + 2 / 3) / 2, 'wf1/joy': (0.5 * 2 + 2 / 3 * 3) / 5,
              'auc/joy': 5 / 6, 'wacc/fear': (2 / 3 + 1 / 2) / 2,
              'wf1/fear': (2 / 3 * 3 + 0.5 * 2) / 5, 'auc/fear': 4 / 6,
              'wacc': 7 / 12, 'wf1': 0.6, 'auc': 0.75, 'num_examples': 5}
  for key, value in expected.items():
    assert results[key] == pytest.approx(value), key
  # A model knowing only 'fear' scores 'joy' as never present: chance WAcc and AUC.
  placed = evaluate.make_eval_step(Echo(), mesh, columns=np.array([1]), num_classes=2)
  fear_only = [{**b, 'logits': b['logits'][:, 1:]} for b in batches]
  results, = evaluate.evaluate(placed, {}, fear_only, mesh, ('joy', 'fear'))
  assert (results['wacc/joy'], results['auc/joy']) == (0.5, 0.5)
  assert results['auc/fear'] == pytest.approx(4 / 6)


def test_positive_weights_and_weighted_binary_cross_entropy():
  train_labels = np.array([[1, 0], [1, 1], [0, 0], [1, 0]])
  np.testing.assert_allclose(supervised.positive_weights(train_labels), [1 / 3, 3])
  batch = {'labels': jnp.array([[1.0, 0.0], [0.0, 1.0]]), 'text': jnp.zeros((2, 1, 1))}
  logits = jnp.array([[0.0, 0.0], [2.0, -1.0]])
  term = supervised.supervised(None, train_labels)
  value = term.fn(Outputs(batch, logits, {}), None)

  def bce(z, y, w):
    return -(w * y * math.log(1 / (1 + math.exp(-z))) + (1 - y) * math.log(1 / (1 + math.exp(z))))

  expected = np.mean([[bce(0, 1, 1 / 3), bce(0, 0, 3)], [bce(2, 0, 1 / 3), bce(-1, 1, 3)]])
  assert float(value) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('arg, keys', [
    ('smoke,held_out=sad', ('test/wa', 'test/recall/sad', 'test/unseen/recall', 'test/seen/f1')),
    ('smoke,multi_label,held_out=sad', ('test/wacc', 'test/auc/sad', 'test/unseen/auc',
                                        'test/seen/wf1', 'validation/wacc')),
])
def test_smoke_runs(tmp_path, arg, keys):
  config = transfer.get_config(arg)
  # Mean-pool encoders compile in a fraction of the LSTMs' time (test_models covers those).
  config.model.encoder = 'meanpool'
  result = train.train_and_evaluate(config, str(tmp_path), quiet=True)
  assert result.completed
  for key in keys:
    assert 0.0 <= result.metrics[key] <= 1.0, key
  assert 'validation/wacc/sad' not in result.metrics


def test_multi_label_synthetic_corpus():
  spec = synthetic.SyntheticSpec(num_train=2000, num_validation=60, num_test=60,
                                 num_speakers=12, multi_label=True, mean_emotions=1.5)
  utterances = synthetic.sample_utterances(spec, 'train')
  sizes = utterances.labels.sum(axis=1)
  assert utterances.labels.shape == (2000, spec.num_classes) and sizes.min() >= 1
  assert abs(sizes.mean() - 1.5) < 0.05
  offsets = synthetic.speaker_offsets(spec)[utterances.speakers]
  noise = utterances.states - offsets - utterances.labels @ synthetic.emotion_prototypes(spec)
  assert abs(noise.std() - spec.state_noise) < 0.02
  corpus = synthetic.make_synthetic_corpus(dataclasses.replace(spec, num_train=60))
  example = corpus.splits['test'].example_fn(tf.constant(5, tf.int64))
  assert corpus.multi_label and 'label' not in example
  assert example['labels'].dtype == tf.float32 and example['labels'].shape == (6,)
  assert 'bayes_accuracy' not in corpus.info and len(corpus.info['emotion_rate']) == 6


def test_chance_row_and_multi_label_tables():
  corpus = synthetic.make_synthetic_corpus(synthetic.SyntheticSpec(
      num_train=60, num_validation=60, num_test=400, num_speakers=12, multi_label=True))
  rate = corpus.splits['test'].labels.mean(axis=0)
  row = zero_shot.chance(corpus)
  assert row['test/wacc/sad'] == 0.5 and row['test/auc'] == 0.5
  k = corpus.emotions.index('sad')
  assert row['test/wf1/sad'] == pytest.approx(rate[k]**2 + (1 - rate[k])**2)
  table = zero_shot.tables({'sad': {'MTEE zero-shot': {**row, 'test/auc/sad_std': 0.01}}},
                           corpus)
  assert '| unseen AUC |' in table and '50.0 ± 1.0' in table
  results = {'test/wacc': 0.7, 'test/wf1': 0.6, 'test/auc': 0.8, 'test/unseen/wacc': 0.55,
             'test/unseen/wf1': 0.5, 'test/unseen/auc': 0.6}
  assert '| test  | unseen | 55.0 ' in report.results_table(results)
  assert '| WAcc ' in compare.table({'MTEE': results})


def test_zero_shot_variants_override_the_transfer_config():
  config = transfer.get_config('multi_label,smoke')
  for _, overrides in (*zero_shot.held_out_variants('sad'), *zero_shot.SUPERVISED):
    variant = config_args.apply_overrides(config, overrides)
    assert variant.data.held_out in ((), ('sad',))
    assert variant.model.head in ('emotion_embedding', 'classifier')
