"""Builds the corpus a config names, and checks that it yields what it declares."""

from __future__ import annotations

import ml_collections
import tensorflow as tf

from emorec.data import synthetic
from emorec.data.corpus import Corpus

REQUIRED_SPLITS = ('train', 'validation', 'test')
# Corpora read from release files (emorec.data.real).
REAL_CORPORA = ('iemocap', 'meld', 'mosei')


def load_corpus(data_config: ml_collections.ConfigDict) -> Corpus:
  """The corpus named by `data.name`, validated."""
  if data_config.name == 'synthetic':
    corpus = synthetic.make_synthetic_corpus(
        synthetic.SyntheticSpec(**data_config.synthetic.to_dict()))
  elif data_config.name in REAL_CORPORA:
    # Imported here: the readers pull in TFDS and h5py, which the synthetic corpus never needs.
    from emorec.data.real import load  # pylint: disable=import-outside-toplevel
    corpus = load.load_real_corpus(data_config)
  elif data_config.name == 'audio_folder':
    from emorec.data.audio_folder import load  # pylint: disable=import-outside-toplevel
    corpus = load.load_audio_folder(data_config)
  else:
    raise ValueError(f'Unknown data.name {data_config.name!r}; choose one of: '
                     f"{', '.join(('synthetic', *REAL_CORPORA, 'audio_folder'))}.")
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
