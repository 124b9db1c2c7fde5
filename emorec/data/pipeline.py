"""tf.data streams over a corpus split: deterministic, resumable, per-process, fixed shapes.

Every stream is built from an index stream, so that the order depends only on the seed and the
position in it: a run resumed at step s sees exactly the batches an uninterrupted run sees, and
a global batch is the same whichever number of processes shares it.
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from emorec.data.corpus import Split

Batch = dict[str, np.ndarray]
_EPOCHS_FOREVER = 2**62


def labelled_subset(
    labels: np.ndarray, fraction: float, seed: int, *, stratified: bool = True) -> np.ndarray:
  """Sorted indices of the labelled share of a training split.

  Stratified sampling keeps round(fraction * n_k) examples of every class k (at least one of
  each class present); otherwise round(fraction * n) examples are drawn uniformly.
  Multi-label rows are stratified by their first positive emotion (or as a class of their own
  when they have none).
  """
  if not 0.0 < fraction <= 1.0:
    raise ValueError(f'data.label_fraction must be in (0, 1], got {fraction}.')
  num_examples = labels.shape[0]
  if fraction == 1.0:
    return np.arange(num_examples)
  rng = np.random.default_rng([seed, 1])
  if not stratified:
    count = max(1, round(fraction * num_examples))
    return np.sort(rng.choice(num_examples, size=count, replace=False))
  strata = _strata(labels)
  chosen = []
  for stratum in np.unique(strata):
    members = np.flatnonzero(strata == stratum)
    count = max(1, round(fraction * members.size))
    chosen.append(rng.choice(members, size=count, replace=False))
  return np.sort(np.concatenate(chosen))


def _strata(labels: np.ndarray) -> np.ndarray:
  if labels.ndim == 1:
    return labels
  has_positive = labels.any(axis=1)
  return np.where(has_positive, labels.argmax(axis=1), labels.shape[1])


def _padded_example_fn(split: Split, modalities: Sequence[str], max_len: int, keys: Sequence[str]):
  """Wraps a split's example_fn: truncates/pads each modality to max_len and adds its mask."""

  def build(index: tf.Tensor) -> dict[str, tf.Tensor]:
    example = split.example_fn(index)
    out = {}
    for modality in modalities:
      frames = _checked_finite(example[modality], modality, index)[:max_len]
      length = tf.shape(frames)[0]
      out[modality] = tf.pad(frames, [[0, max_len - length], [0, 0]])
      out[f'{modality}_mask'] = tf.pad(tf.ones([length], tf.float32), [[0, max_len - length]])
    for key in keys:
      out[key] = example[key]
    return out

  return build


def _checked_finite(frames: tf.Tensor, modality: str, index: tf.Tensor) -> tf.Tensor:
  """Fails the stream with a message naming the modality and example when features are NaN/inf."""
  finite = tf.reduce_all(tf.math.is_finite(frames))
  message = f'NaN or inf in the {modality} features of the example at index'
  with tf.control_dependencies([tf.debugging.Assert(finite, [message, index])]):
    return tf.identity(frames)


def _local_slice(global_batch_size: int, process_index: int, process_count: int):
  local = global_batch_size // process_count
  return lambda batch: batch[process_index * local:(process_index + 1) * local]


def _shuffled_indices(indices: np.ndarray, seed: int, start: int) -> tf.data.Dataset:
  """An endless stream of per-epoch permutations of `indices`, from position `start` on."""
  table = tf.constant(indices, tf.int64)
  seed = tf.constant(seed, tf.int64)

  def epoch(number: tf.Tensor) -> tf.data.Dataset:
    order = tf.random.experimental.stateless_shuffle(table, seed=tf.stack([seed, number]))
    return tf.data.Dataset.from_tensor_slices(order)

  first_epoch, offset = divmod(start, len(indices))
  return tf.data.Dataset.range(first_epoch, _EPOCHS_FOREVER).flat_map(epoch).skip(offset)


def _trimmed_fn(modalities: Sequence[str], max_len: int, multiple: int):
  """Cuts a padded batch's frames of each modality after its longest real sequence, rounded up
  to a multiple of ``multiple`` (at least one multiple, at most ``max_len``).

  Frames are padded at the end, so the cut drops padding only: every real frame and its mask
  stay, and a masked model's outputs do not change. Batches then differ in their frame counts,
  so a jitted step compiles once per count (at most ``max_len / multiple`` per modality).
  """

  def trim(batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    out = dict(batch)
    for modality in modalities:
      mask = batch[f'{modality}_mask']
      longest = tf.cast(tf.reduce_max(tf.reduce_sum(mask, axis=-1)), tf.int32)
      length = tf.clip_by_value(-(-longest // multiple) * multiple, multiple, max_len)
      out[modality] = batch[modality][:, :length]
      out[f'{modality}_mask'] = mask[:, :length]
    return out

  return trim


def _batched(examples: tf.data.Dataset, batch_size: int, *, modalities: Sequence[str],
             max_len: int, trim_padding: int, process_count: int,
             drop_remainder: bool) -> tf.data.Dataset:
  """Batches padded examples; with ``trim_padding`` > 0 cuts each batch's padding (`_trimmed_fn`)."""
  batches = examples.batch(batch_size, drop_remainder=drop_remainder)
  if not trim_padding:
    return batches
  if trim_padding < 0:
    raise ValueError(f'train.trim_padding must be 0 (off) or a positive frame multiple, got '
                     f'{trim_padding}.')
  if process_count > 1:
    raise ValueError('train.trim_padding needs a single process: each process would cut its own '
                     'share of a global batch to a different length.')
  return batches.map(_trimmed_fn(modalities, max_len, trim_padding))


def train_stream(
    split: Split,
    indices: np.ndarray,
    *,
    modalities: Sequence[str],
    max_len: int,
    keys: Sequence[str],
    global_batch_size: int,
    seed: int,
    start_step: int = 0,
    process_index: int = 0,
    process_count: int = 1,
    trim_padding: int = 0,
) -> tf.data.Dataset:
  """Endless shuffled training batches for this process, starting at `start_step`.

  Each global batch holds `global_batch_size` consecutive entries of the seeded index stream;
  this process receives its contiguous share of it. ``trim_padding``: see `_trimmed_fn`.
  """
  if len(indices) == 0:
    raise ValueError('Cannot build a training stream over an empty set of examples.')
  examples = (
      _shuffled_indices(indices, seed, start_step * global_batch_size)
      .batch(global_batch_size, drop_remainder=True)
      .map(_local_slice(global_batch_size, process_index, process_count))
      .unbatch()
      .map(_padded_example_fn(split, modalities, max_len, keys),
           num_parallel_calls=tf.data.AUTOTUNE, deterministic=True))
  return _batched(examples, global_batch_size // process_count, modalities=modalities,
                  max_len=max_len, trim_padding=trim_padding, process_count=process_count,
                  drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def eval_stream(
    split: Split,
    *,
    modalities: Sequence[str],
    max_len: int,
    keys: Sequence[str],
    global_batch_size: int,
    process_index: int = 0,
    process_count: int = 1,
    trim_padding: int = 0,
) -> tf.data.Dataset:
  """Every example of a split once, in order, padded to whole global batches.

  Padding entries repeat the last example and carry ``valid = 0`` so metrics can mask them.
  ``trim_padding``: see `_trimmed_fn`.
  """
  num_examples = split.num_examples
  total = math.ceil(num_examples / global_batch_size) * global_batch_size
  build = _padded_example_fn(split, modalities, max_len, keys)

  def padded(position: tf.Tensor) -> dict[str, tf.Tensor]:
    example = build(tf.minimum(position, num_examples - 1))
    example['valid'] = tf.cast(position < num_examples, tf.float32)
    return example

  examples = (
      tf.data.Dataset.range(total)
      .batch(global_batch_size)
      .map(_local_slice(global_batch_size, process_index, process_count))
      .unbatch()
      .map(padded, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True))
  return _batched(examples, global_batch_size // process_count, modalities=modalities,
                  max_len=max_len, trim_padding=trim_padding, process_count=process_count,
                  drop_remainder=False).prefetch(tf.data.AUTOTUNE)


def semi_supervised_stream(labelled: tf.data.Dataset,
                           unlabelled: tf.data.Dataset | None = None) -> Iterator[dict[str, Batch]]:
  """Zips the streams into {'labelled': …, 'unlabelled': …} numpy batches (labelled alone when
  there is no unlabelled stream)."""
  streams = {'labelled': labelled}
  if unlabelled is not None:
    streams['unlabelled'] = unlabelled
  return tf.data.Dataset.zip(streams).as_numpy_iterator()
