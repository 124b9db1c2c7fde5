"""Label tables of the emotion-embedding head: label words looked up in the configured vectors.

``model.emotion_embedding.vectors`` names the source ('' for the packaged lexicon, else a
GloVe/word2vec text file or an .npz, see ``emorec.data.label_vectors``) and
``model.emotion_embedding.centred`` whether the vectors are centred on the core emotions.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import flax.linen as nn

from emorec.data import label_vectors
from emorec.models.emotion_embedding import EmotionEmbeddingClassifier, LabelTable, with_labels


def label_table(words: Sequence[str], *, source: str = label_vectors.PACKAGED,
                centred: bool = False) -> LabelTable:
  """The table of ``words`` with their vectors from ``source``, centred or raw."""
  return LabelTable(tuple(words), label_vectors.label_vectors(words, source, centred=centred),
                    centred, source)


def model_labels(model_config: Mapping[str, Any], words: Sequence[str]) -> LabelTable | None:
  """The label table ``build_model`` needs for ``model_config`` (None unless its head is
  'emotion_embedding')."""
  if model_config.get('head', 'classifier') != 'emotion_embedding':
    return None
  options = model_config['emotion_embedding']
  return label_table(words, source=options.get('vectors', label_vectors.PACKAGED),
                     centred=bool(options.get('centred', False)))


def relabel(model: nn.Module, words: Sequence[str]) -> EmotionEmbeddingClassifier:
  """``model`` scoring ``words``, looked up in the source of its own table and centred alike."""
  if not isinstance(model, EmotionEmbeddingClassifier):
    raise TypeError(f'{type(model).__name__} has one output per trained class and cannot score '
                    'other emotions; only an EmotionEmbeddingClassifier can.')
  own = model.labels
  return with_labels(model, label_table(words, source=own.source, centred=own.centred))
