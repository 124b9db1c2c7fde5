"""Turns a data config naming a real corpus into a `Corpus`, preparing its TFDS dataset first.

The config names the corpus (``data.name``), the release format (``data.reader``) and its
options (``data.release``), where the release is (``data.manual_dir``) and where the prepared
dataset goes (``data.data_dir``; '' for TFDS's default), what to do with a bad utterance
(``data.on_bad_utterance``), the size cap of any one array (``data.max_array_bytes``), and the
protocol: ``data.protocol`` (the classes),
``data.split`` ('release' or 'loso'), ``data.fold`` and ``data.validation_share``.
"""

from __future__ import annotations

import ml_collections
import numpy as np
import tensorflow_datasets as tfds

from emorec.data.corpus import Corpus, Split
from emorec.data.real import builder, formats, splits, store, targets


def prepared_builder(data: ml_collections.ConfigDict,
                     release: formats.Release) -> tfds.core.DatasetBuilder:
  """The corpus's builder, its dataset prepared from the manual directory unless it is."""
  if not data.manual_dir:
    raise ValueError(f'data.manual_dir is not set: it must name the directory holding the '
                     f'{data.name} release files.')
  config = builder.release_config(data.reader, release, data.on_bad_utterance,
                                  str(data.manual_dir), data.max_array_bytes)
  dataset = builder.BUILDERS[data.name](config=config, data_dir=data.data_dir or None)
  dataset.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(data.manual_dir)))
  return dataset


def load_real_corpus(data: ml_collections.ConfigDict) -> Corpus:
  """The corpus ``data`` names, under its protocol (see the module docstring).

  ``info`` reports the reader and protocol, each split's size, what the build reported
  ('dropped' utterances by reason, 'neg_inf_zeroed' utterances by modality) and how many
  utterances the protocol's classes left out ('protocol_dropped').
  """
  release = formats.release_of(data.name, data.reader, data.release.to_dict())
  schema = release.schema()
  target = targets.target_of(data.name, data.protocol)
  mapping = targets.class_map(target, schema, data.protocol)
  prepared = store.read_prepared(prepared_builder(data, release), tuple(schema.modality_dims),
                                 (target.field,), max_frames=data.max_len)
  labels, kept = targets.target_labels(target, mapping, prepared.labels[target.field])
  rows = splits.split_rows(data.split, np.flatnonzero(kept), prepared.splits, prepared.ids,
                           prepared.dialogues, fold=data.fold, share=data.validation_share)
  speakers = np.unique(prepared.speakers, return_inverse=True)[1]
  tensors = store.frame_tensors(prepared)
  label_key = 'labels' if target.multi_label else 'label'
  corpus_splits = {
      name: Split(labels=labels[r],
                  example_fn=store.make_example_fn(tensors, r, label_key, labels[r], speakers[r]),
                  ids=prepared.ids[r])
      for name, r in rows.items()}
  info = {'reader': data.reader, 'protocol': data.protocol, 'split': data.split,
          **({'fold': data.fold} if data.split == 'loso' else {}),
          'examples': {name: len(r) for name, r in rows.items()},
          **prepared.metadata, 'protocol_dropped': int(np.sum(~kept))}
  return Corpus(name=data.name, emotions=target.classes, modality_dims=dict(schema.modality_dims),
                multi_label=target.multi_label, splits=corpus_splits, info=info)
