"""A prepared corpus in memory: every split's frames concatenated per modality, with offsets.

Utterance r's frames of modality m are ``frames[m][offsets[m][r]:offsets[m][r + 1]]``, so a
corpus costs its frames and no padding; example functions slice them by row inside tf.data.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from emorec.data.corpus import ExampleFn

SPLIT_ORDER = ('train', 'validation', 'test')


@dataclasses.dataclass(frozen=True)
class Prepared:
  """One row per utterance of every release split, in release order.

  Attributes:
    ids, speakers, dialogues: str [N].
    splits: str [N], the release split of each row.
    labels: label field -> int [N] classes, or float32 [N, K] multi-hot rows.
    frames: modality -> float32 [total frames, D].
    offsets: modality -> int64 [N + 1].
    metadata: what the build reported (utterances dropped, -inf set to 0).
  """

  ids: np.ndarray
  speakers: np.ndarray
  dialogues: np.ndarray
  splits: np.ndarray
  labels: Mapping[str, np.ndarray]
  frames: Mapping[str, np.ndarray]
  offsets: Mapping[str, np.ndarray]
  metadata: Mapping[str, Any]


def _text(values: list[bytes]) -> np.ndarray:
  return np.array([v.decode('utf-8') for v in values], dtype=str)


def read_prepared(builder: tfds.core.DatasetBuilder, modalities: tuple[str, ...],
                  label_fields: tuple[str, ...], max_frames: int) -> Prepared:
  """Reads every split of a prepared builder into memory, keeping the first ``max_frames``
  frames of each utterance (the pipeline truncates to data.max_len: the rest is never used)."""
  columns = {key: [] for key in ('id', 'speaker', 'dialogue', 'split', *label_fields)}
  frames = {m: [] for m in modalities}
  for split in (s for s in SPLIT_ORDER if s in builder.info.splits):
    for example in tfds.as_numpy(builder.as_dataset(split=split)):
      columns['split'].append(split)
      for key in ('id', 'speaker', 'dialogue', *label_fields):
        columns[key].append(example[key])
      for modality in modalities:
        frames[modality].append(example[modality][:max_frames])
  if not columns['id']:
    raise ValueError(f'{builder.data_dir}: the prepared dataset holds no utterances.')
  return Prepared(
      ids=_text(columns['id']), speakers=_text(columns['speaker']),
      dialogues=_text(columns['dialogue']), splits=np.array(columns['split'], dtype=str),
      labels={field: np.array(columns[field]) for field in label_fields},
      frames={m: np.concatenate(rows) for m, rows in frames.items()},
      offsets={m: np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
               for m, rows in frames.items()},
      metadata=dict(builder.info.metadata))


@dataclasses.dataclass(frozen=True)
class FrameTensors:
  """The frames and offsets of a Prepared corpus as tensors, built once, shared by splits."""

  frames: Mapping[str, tf.Tensor]
  offsets: Mapping[str, tf.Tensor]


def frame_tensors(prepared: Prepared) -> FrameTensors:
  return FrameTensors(frames={m: tf.constant(v) for m, v in prepared.frames.items()},
                      offsets={m: tf.constant(v) for m, v in prepared.offsets.items()})


def make_example_fn(tensors: FrameTensors, rows: np.ndarray, label_key: str, labels: np.ndarray,
                    speakers: np.ndarray) -> ExampleFn:
  """index -> {modality frames, label_key: labels[index], speaker, index} of one split.

  Args:
    tensors: the corpus's frames.
    rows: [n] the prepared rows of this split, in split order.
    label_key: 'label' (labels int [n]) or 'labels' (labels [n, K]).
    labels: the split's labels under the protocol.
    speakers: [n] int speaker ids.
  """
  rows = tf.constant(rows, tf.int64)
  labels = tf.constant(labels, tf.float32 if label_key == 'labels' else tf.int32)
  speakers = tf.constant(speakers, tf.int32)
  frames, offsets = tensors.frames, tensors.offsets

  def example_fn(index: tf.Tensor) -> dict[str, tf.Tensor]:
    index = tf.cast(index, tf.int64)
    row = tf.gather(rows, index)
    example = {m: values[offsets[m][row]:offsets[m][row + 1]] for m, values in frames.items()}
    example.update({label_key: tf.gather(labels, index)}, speaker=tf.gather(speakers, index),
                   index=index)
    return example

  return example_fn
