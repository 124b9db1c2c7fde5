"""The tf.data streams: deterministic, resumable, identical across process counts, exact eval."""

import numpy as np
import pytest
import tensorflow as tf

from emorec.data import pipeline
from emorec.data.corpus import Split

NUM = 37


def _toy_split(num: int = NUM, dim: int = 3) -> Split:
  """Example i: `text` holds (i % 5) + 1 frames all equal to i; label i % 4."""

  def example_fn(index):
    length = tf.cast(index % 5 + 1, tf.int32)
    frames = tf.fill(tf.stack([length, dim]), tf.cast(index, tf.float32))
    return {'text': frames, 'label': tf.cast(index % 4, tf.int32), 'index': index}

  return Split(labels=np.arange(num) % 4, example_fn=example_fn)


def _train(split, start_step=0, process_index=0, process_count=1, batch=8, steps=6):
  stream = pipeline.train_stream(
      split, np.arange(split.num_examples), modalities=('text',), max_len=4, keys=('index',),
      global_batch_size=batch, seed=3, start_step=start_step, process_index=process_index,
      process_count=process_count)
  return [b['index'] for b in stream.take(steps).as_numpy_iterator()]


def test_train_stream_is_a_permutation_per_epoch():
  indices = np.concatenate(_train(_toy_split(num=32), batch=8, steps=8))
  assert sorted(indices[:32]) == list(range(32))
  assert sorted(indices[32:]) == list(range(32))
  assert not np.array_equal(indices[:32], indices[32:])


def test_train_stream_resumes_where_it_stopped():
  split = _toy_split()
  full = _train(split, steps=10)
  resumed = _train(split, start_step=4, steps=6)
  np.testing.assert_array_equal(np.stack(full[4:]), np.stack(resumed))


def test_processes_share_each_global_batch():
  split = _toy_split()
  whole = np.stack(_train(split))
  halves = [np.stack(_train(split, process_index=p, process_count=2)) for p in range(2)]
  np.testing.assert_array_equal(np.concatenate(halves, axis=1), whole)


def test_padding_and_masks():
  batch = next(pipeline.train_stream(
      _toy_split(), np.arange(NUM), modalities=('text',), max_len=4, keys=('index',),
      global_batch_size=8, seed=0).as_numpy_iterator())
  lengths = np.minimum(batch['index'] % 5 + 1, 4)
  np.testing.assert_array_equal(batch['text_mask'].sum(1), lengths)
  assert batch['text'].shape == (8, 4, 3)
  padded = batch['text'][batch['text_mask'] == 0]
  assert np.all(padded == 0)


def test_eval_stream_covers_every_example_once_with_padding():
  batches = list(pipeline.eval_stream(
      _toy_split(), modalities=('text',), max_len=4, keys=('index',),
      global_batch_size=16).as_numpy_iterator())
  assert len(batches) == 3
  valid = np.concatenate([b['valid'] for b in batches])
  index = np.concatenate([b['index'] for b in batches])
  assert valid.sum() == NUM
  np.testing.assert_array_equal(index[valid == 1], np.arange(NUM))


def test_labelled_subset_is_stratified_and_seeded():
  labels = np.repeat(np.arange(4), [400, 100, 40, 10])
  subset = pipeline.labelled_subset(labels, 0.1, seed=0)
  np.testing.assert_array_equal(np.bincount(labels[subset]), [40, 10, 4, 1])
  np.testing.assert_array_equal(subset, pipeline.labelled_subset(labels, 0.1, seed=0))
  assert not np.array_equal(subset, pipeline.labelled_subset(labels, 0.1, seed=1))
  assert len(pipeline.labelled_subset(labels, 1.0, seed=0)) == 550
  with pytest.raises(ValueError, match='label_fraction'):
    pipeline.labelled_subset(labels, 0.0, seed=0)


def test_nan_features_fail_with_the_modality_named():
  def example_fn(index):
    return {'text': tf.fill([2, 3], np.nan), 'label': tf.constant(0), 'index': index}

  split = Split(labels=np.zeros(4, int), example_fn=example_fn)
  stream = pipeline.eval_stream(split, modalities=('text',), max_len=4, keys=(),
                                global_batch_size=4)
  with pytest.raises(tf.errors.InvalidArgumentError, match='NaN or inf in the text features'):
    next(stream.as_numpy_iterator())


def _lengths_split(lengths) -> Split:
  """Example i has lengths[i] frames, all equal to i + 1."""
  table = tf.constant(lengths, tf.int32)

  def example_fn(index):
    frames = tf.fill(tf.stack([table[index], 2]), tf.cast(index + 1, tf.float32))
    return {'text': frames, 'index': index}

  return Split(labels=np.zeros(len(lengths), np.int64), example_fn=example_fn)


@pytest.mark.parametrize('stream', ['train', 'eval'])
def test_trimmed_batches_keep_every_real_frame_and_cut_only_padding(stream):
  lengths = [1, 3, 2, 7, 5, 2, 1, 3, 9, 4, 2, 2]  # batches of 4: longest 7, 9, 4
  split = _lengths_split(lengths)
  common = {'modalities': ('text',), 'max_len': 8, 'keys': ('index',), 'global_batch_size': 4}

  def batches(trim_padding):
    if stream == 'train':
      made = pipeline.train_stream(split, np.arange(len(lengths)), seed=1,
                                   trim_padding=trim_padding, **common).take(3)
    else:
      made = pipeline.eval_stream(split, trim_padding=trim_padding, **common)
    return list(made.as_numpy_iterator())

  for full, cut in zip(batches(0), batches(3), strict=True):
    longest = int(full['text_mask'].sum(1).max())
    frames = cut['text'].shape[1]
    assert frames == min(8, -(-longest // 3) * 3), (longest, frames)
    np.testing.assert_array_equal(cut['text'], full['text'][:, :frames])
    np.testing.assert_array_equal(cut['text_mask'], full['text_mask'][:, :frames])
    assert not full['text_mask'][:, frames:].any()


def test_trimming_needs_one_process_and_a_positive_multiple():
  split = _lengths_split([2, 3])
  common = {'modalities': ('text',), 'max_len': 4, 'keys': (), 'global_batch_size': 2, 'seed': 0}
  with pytest.raises(ValueError, match='single process'):
    pipeline.train_stream(split, np.arange(2), trim_padding=2, process_count=2, **common)
  with pytest.raises(ValueError, match='positive frame multiple'):
    pipeline.train_stream(split, np.arange(2), trim_padding=-1, **common)
