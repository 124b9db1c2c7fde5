"""Tests of the synthetic corpus: determinism, shapes, the latent design and spec validation."""

import dataclasses

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from emorec.data import synthetic
from emorec.data.corpus import MODALITIES

SMALL = dict(num_train=240, num_validation=60, num_test=60, num_speakers=12)


def _spec(**overrides) -> synthetic.SyntheticSpec:
  return synthetic.SyntheticSpec(**{**SMALL, **overrides})


@pytest.fixture(scope='module')
def corpus():
  return synthetic.make_synthetic_corpus(_spec())


def _example(corpus, index: int, split: str = 'train') -> dict[str, np.ndarray]:
  example = corpus.splits[split].example_fn(tf.constant(index, tf.int64))
  return {key: value.numpy() for key, value in example.items()}


def _assert_same(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> None:
  assert first.keys() == second.keys()
  for key in first:
    np.testing.assert_array_equal(first[key], second[key], err_msg=key)


def test_corpus_metadata(corpus):
  spec = _spec()
  assert corpus.name == 'synthetic'
  assert corpus.emotions == spec.emotions
  assert not corpus.multi_label
  assert dict(corpus.modality_dims) == {'text': 300, 'audio': 74, 'vision': 35}
  assert corpus.modalities == MODALITIES
  assert {s: corpus.splits[s].num_examples for s in synthetic.SPLITS} == {
      'train': 240, 'validation': 60, 'test': 60}
  assert set(corpus.info['oracle_accuracy']) == set(synthetic.SPLITS)


def test_example_shapes_and_dtypes(corpus):
  utterances = synthetic.sample_utterances(_spec(), 'validation')
  for index in (0, 7, 59):
    example = _example(corpus, index, 'validation')
    assert set(example) == {*MODALITIES, 'label', 'speaker', 'index'}
    for slot, modality in enumerate(MODALITIES):
      assert example[modality].dtype == np.float32
      assert example[modality].shape == (utterances.lengths[index, slot],
                                         corpus.modality_dims[modality])
      assert np.all(np.isfinite(example[modality]))
    assert example['label'].dtype == np.int32 and example['label'].shape == ()
    assert example['speaker'].dtype == np.int32
    assert example['index'].dtype == np.int64 and example['index'] == index
    assert example['label'] == corpus.splits['validation'].labels[index]
    assert example['speaker'] == utterances.speakers[index]


def test_lengths_within_bounds():
  spec = _spec(text_min_length=3, text_max_length=5, audio_min_length=7, audio_max_length=7)
  lengths = synthetic.sample_utterances(spec, 'train').lengths
  for slot, modality in enumerate(MODALITIES):
    low, high = spec.length_range(modality)
    assert lengths[:, slot].min() >= low and lengths[:, slot].max() <= high
  assert set(lengths[:, 0]) == {3, 4, 5}
  assert set(lengths[:, 1]) == {7}


def test_same_seed_same_examples_different_seed_different(corpus):
  again = synthetic.make_synthetic_corpus(_spec())
  other = synthetic.make_synthetic_corpus(_spec(seed=1))
  for split, index in (('train', 3), ('test', 11)):
    _assert_same(_example(corpus, index, split), _example(again, index, split))
  assert not np.array_equal(_example(corpus, 3)['audio'][:5], _example(other, 3)['audio'][:5])
  assert not np.array_equal(corpus.splits['train'].labels, other.splits['train'].labels)


def test_splits_differ(corpus):
  train, test = _example(corpus, 0, 'train'), _example(corpus, 0, 'test')
  rows = min(len(train['text']), len(test['text']))
  assert not np.array_equal(train['text'][:rows], test['text'][:rows])


def test_example_independent_of_order_and_parallelism(corpus):
  split = corpus.splits['train']
  dataset = (tf.data.Dataset.range(split.num_examples).shuffle(split.num_examples, seed=5)
             .map(split.example_fn, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False))
  built = {int(example['index']): example for example in dataset.take(24).as_numpy_iterator()}
  for index, example in built.items():
    _assert_same(example, _example(corpus, index))


def test_class_prior_and_counts():
  spec = _spec(imbalance=1.0)
  prior = synthetic.class_prior(spec)
  ranks = np.arange(1, spec.num_classes + 1)
  np.testing.assert_allclose(prior, (1 / ranks) / np.sum(1 / ranks))
  labels = synthetic.sample_utterances(spec, 'train').labels
  counts = np.bincount(labels, minlength=spec.num_classes)
  assert np.all(np.abs(counts - prior * spec.num_train) < 1)
  assert np.all(np.diff(counts) <= 0)
  balanced = synthetic.sample_utterances(_spec(imbalance=0.0), 'train').labels
  assert set(np.bincount(balanced)) == {40}


@pytest.mark.parametrize('kind', synthetic.CONFLICT_KINDS)
def test_conflict_share_and_kind(kind):
  spec = _spec(conflict_share=0.25, conflict_kind=kind)
  utterances = synthetic.sample_utterances(spec, 'train')
  conflicted = utterances.conflict_modality != synthetic.NO_CONFLICT
  assert conflicted.sum() == 60
  assert set(utterances.conflict_modality[conflicted]) <= set(range(len(MODALITIES)))
  with_class = utterances.conflict_label != synthetic.NO_CONFLICT
  assert not np.any(with_class & ~conflicted)
  assert with_class.sum() == {'conflicting': 60, 'empty': 0, 'mixed': 30}[kind]
  assert np.all(utterances.conflict_label[with_class] != utterances.labels[with_class])
  observed, states = utterances.observed_states, utterances.states
  differs = np.any(observed != states[:, None], axis=-1)
  np.testing.assert_array_equal(differs.any(axis=1), conflicted)
  rows = np.flatnonzero(conflicted)
  assert np.all(differs[rows, utterances.conflict_modality[rows]])
  assert differs.sum() == conflicted.sum()


def test_no_conflicts_when_share_is_zero():
  utterances = synthetic.sample_utterances(_spec(conflict_share=0.0), 'train')
  assert np.all(utterances.conflict_modality == synthetic.NO_CONFLICT)
  np.testing.assert_array_equal(utterances.observed_states,
                                np.repeat(utterances.states[:, None], len(MODALITIES), axis=1))


def test_speakers_disjoint_across_splits_by_default():
  spec = _spec()
  speakers = {s: set(synthetic.sample_utterances(spec, s).speakers) for s in synthetic.SPLITS}
  assert not speakers['train'] & (speakers['validation'] | speakers['test'])
  assert not speakers['validation'] & speakers['test']
  assert set().union(*speakers.values()) <= set(range(spec.num_speakers))
  shared = synthetic.split_speakers(_spec(speaker_independent=False))
  assert all(len(ids) == 12 for ids in shared.values())


def test_default_bayes_ceiling(corpus):
  ceiling = synthetic.bayes_accuracy(synthetic.SyntheticSpec(), 50_000)
  assert 0.75 <= ceiling <= 0.90
  assert ceiling <= synthetic.bayes_accuracy(synthetic.SyntheticSpec(), 50_000,
                                             known_speaker=True)
  assert 0.75 <= corpus.info['bayes_accuracy'] <= 0.90


def test_bayes_accuracy_rises_as_state_noise_falls():
  accuracies = [synthetic.bayes_accuracy(_spec(state_noise=noise), 20_000)
                for noise in (2.0, 1.0, 0.5)]
  assert accuracies[0] < accuracies[1] < accuracies[2]


def test_oracle_on_split_matches_ceiling():
  spec = synthetic.SyntheticSpec(num_validation=4000)
  utterances = synthetic.sample_utterances(spec, 'validation')
  predictions = synthetic.bayes_predict(spec, utterances.states, utterances.conflict_label)
  accuracy = np.mean(predictions == utterances.labels)
  assert abs(accuracy - synthetic.bayes_accuracy(spec, 50_000)) < 0.03


def test_prototypes_follow_word_similarity():
  spec = synthetic.SyntheticSpec()
  words = ('angry', 'anger', 'sad', 'sadness', 'fearful', 'fear', 'happy')
  prototypes = dict(zip(words, synthetic.emotion_prototypes(spec, words)))
  distance = lambda a, b: np.linalg.norm(prototypes[a] - prototypes[b])
  for word, related in (('angry', 'anger'), ('sad', 'sadness'), ('fearful', 'fear')):
    for unrelated in ('happy', 'sad', 'angry'):
      if unrelated not in (word, related):
        assert distance(word, related) < distance(word, unrelated), (word, related, unrelated)


def test_prototypes_of_unseen_emotions_do_not_depend_on_the_label_set():
  seen = synthetic.SyntheticSpec(emotions=('happy', 'sad', 'angry'))
  other = synthetic.SyntheticSpec(emotions=('neutral', 'sad'))
  np.testing.assert_allclose(synthetic.emotion_prototypes(seen, ['sad', 'fear']),
                             synthetic.emotion_prototypes(other, ['sad', 'fear']))
  np.testing.assert_allclose(synthetic.emotion_prototypes(seen)[1],
                             synthetic.emotion_prototypes(other)[1])
  norms = np.linalg.norm(synthetic.emotion_prototypes(seen, ['joy', 'love', 'calm']), axis=1)
  assert np.all((norms > 1.0) & (norms < 6.0))


def test_spec_from_config_dict():
  config = ml_collections.ConfigDict(dataclasses.asdict(_spec()))
  config.emotions = ['happy', 'sad']
  config.text_snr = 2
  spec = synthetic.SyntheticSpec(**config.to_dict())
  assert spec.emotions == ('happy', 'sad') and spec.num_classes == 2
  assert synthetic.make_synthetic_corpus(spec).emotions == ('happy', 'sad')


@pytest.mark.parametrize('overrides, field', [
    (dict(emotions=('happy', 'blorp')), 'emotions'),
    (dict(emotions=('happy',)), 'emotions'),
    (dict(emotions=('happy', 'Happy')), 'emotions'),
    (dict(emotions='happy'), 'emotions'),
    (dict(text_snr=0.0), 'text_snr'),
    (dict(vision_snr=-1.0), 'vision_snr'),
    (dict(audio_snr=float('nan')), 'audio_snr'),
    (dict(audio_min_length=12, audio_max_length=11), 'audio_max_length'),
    (dict(text_min_length=0), 'text_min_length'),
    (dict(conflict_share=1.5), 'conflict_share'),
    (dict(conflict_share=-0.1), 'conflict_share'),
    (dict(conflict_kind='loud'), 'conflict_kind'),
    (dict(num_train=0), 'num_train'),
    (dict(num_test=10.0), 'num_test'),
    (dict(num_speakers=2), 'num_speakers'),
    (dict(state_noise=0.0), 'state_noise'),
    (dict(speaker_scale=-1.0), 'speaker_scale'),
    (dict(imbalance=-0.5), 'imbalance'),
    (dict(seed=-1), 'seed'),
    (dict(latent_dim=0), 'latent_dim'),
    (dict(style_dim=0), 'style_dim'),
    (dict(style_scale=-1.0), 'style_scale'),
    (dict(style_scale=float('inf')), 'style_scale'),
])
def test_bad_spec_raises(overrides, field):
  with pytest.raises(ValueError, match=f'SyntheticSpec.{field} must be'):
    _spec(**overrides)


def test_unknown_split_raises():
  with pytest.raises(ValueError, match='split must be one of'):
    synthetic.sample_utterances(_spec(), 'dev')


def _pooled(example: dict[str, np.ndarray], modality: str) -> np.ndarray:
  return example[modality].mean(axis=0)


def test_styles_are_constant_within_an_utterance_and_survive_pooling():
  """The style offset is the same in every frame: the frames' difference between a corpus with
  and without styles is one vector per utterance and modality, c_m @ B_m."""
  with_styles, without = (synthetic.make_synthetic_corpus(_spec(style_scale=s)) for s in (3.0, 0.0))
  utterances = synthetic.sample_utterances(_spec(), 'train')
  for index in (0, 5):
    a, b = _example(with_styles, index), _example(without, index)
    for slot, modality in enumerate(MODALITIES):
      offset = a[modality] - b[modality]
      np.testing.assert_allclose(offset, offset[:1].repeat(len(offset), 0), atol=1e-4)
      loadings = synthetic.style_loadings(_spec(style_scale=3.0), modality)
      np.testing.assert_allclose(_pooled(a, modality) - _pooled(b, modality),
                                 utterances.styles[index, slot] @ loadings, atol=1e-3)


def test_style_loadings_give_each_feature_the_style_scale():
  spec = _spec(style_scale=2.0, style_dim=8)
  for modality in MODALITIES:
    loadings = synthetic.style_loadings(spec, modality)
    assert loadings.shape == (8, spec.modality_dims()[modality])
    np.testing.assert_allclose(np.linalg.norm(loadings, axis=0), 2.0, rtol=1e-6)


def test_styles_are_independent_across_modalities_and_deterministic():
  first, again = (synthetic.sample_utterances(_spec(), 'train') for _ in range(2))
  np.testing.assert_array_equal(first.styles, again.styles)
  styles = first.styles.reshape(len(first.styles), -1)
  correlation = np.corrcoef(styles, rowvar=False)
  dim = _spec().style_dim
  across = correlation[:dim, dim:]  # text factors against audio and vision factors
  assert np.max(np.abs(across)) < 0.3  # 240 utterances: |r| of independent factors stays small
