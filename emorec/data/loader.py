"""Builds the corpus a config names, and checks that it yields what it declares."""

from __future__ import annotations

from typing import Callable

import ml_collections
import tensorflow as tf

from emorec.data import synthetic
from emorec.data.corpus import Corpus
from emorec.registry import lookup

REQUIRED_SPLITS = ('train', 'validation', 'test')

CorpusBuilder = Callable[[ml_collections.ConfigDict], Corpus]


def _synthetic(data_config: ml_collections.ConfigDict) -> Corpus:
  return synthetic.make_synthetic_corpus(synthetic.SyntheticSpec(**data_config.synthetic.to_dict()))


def _release(data_config: ml_collections.ConfigDict) -> Corpus:
  # Imported here: the readers pull in TFDS and h5py, which the synthetic corpus never needs.
  from emorec.data.real import load  # pylint: disable=import-outside-toplevel
  return load.load_real_corpus(data_config)


def _text(data_config: ml_collections.ConfigDict) -> Corpus:
  # Utterance files of any corpus and their extracted text features.
  from emorec.data import text_corpus  # pylint: disable=import-outside-toplevel
  return text_corpus.load_text_corpus(data_config)


def _audio_folder(data_config: ml_collections.ConfigDict) -> Corpus:
  # WAV folders and their extracted acoustic features.
  from emorec.data.audio_folder import load  # pylint: disable=import-outside-toplevel
  return load.load_audio_folder(data_config)


# The corpus registry: `data.name` -> the function building the corpus from `config.data`.
CORPORA: dict[str, CorpusBuilder] = {
    'synthetic': _synthetic,
    'iemocap': _release,
    'meld': _release,
    'mosei': _release,
    'text': _text,
    'audio_folder': _audio_folder,
}


def load_corpus(data_config: ml_collections.ConfigDict) -> Corpus:
  """The corpus named by `data.name`, validated."""
  corpus = lookup('corpus (data.name)', data_config.name, CORPORA)(data_config)
  validate_corpus(corpus)
  return corpus


def validate_corpus(corpus: Corpus) -> None:
  """Traces each split's example_fn once and checks keys, feature dims and label shape."""
  missing = [s for s in REQUIRED_SPLITS if s not in corpus.splits]
  if missing:
    raise ValueError(f'Corpus {corpus.name!r} lacks split(s) {missing}.')
  for name, split in corpus.splits.items():
    if split.num_examples == 0:
      raise ValueError(f'Corpus {corpus.name!r}, split {name!r} is empty.')
    spec = tf.function(split.example_fn).get_concrete_function(
        tf.TensorSpec([], tf.int64)).structured_outputs
    for key in (*corpus.modalities, corpus.label_key):
      if key not in spec:
        raise ValueError(f'Corpus {corpus.name!r}, split {name!r}: examples lack key {key!r}.')
    for modality, dim in corpus.modality_dims.items():
      shape = spec[modality].shape
      if shape.rank != 2 or shape[-1] != dim:
        raise ValueError(
            f'Corpus {corpus.name!r}, split {name!r}: {modality!r} features have shape '
            f'{shape}, expected [T, {dim}].')
