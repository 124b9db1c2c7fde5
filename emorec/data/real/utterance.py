"""What every release reader yields: utterances, and the schema that says what they hold."""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

# Label fields: one emotion class, a multi-hot emotion set, one sentiment class.
LABEL, LABELS, SENTIMENT = 'label', 'labels', 'sentiment'
SENTIMENTS = ('neutral', 'positive', 'negative')


@dataclasses.dataclass(frozen=True)
class LabelSet:
  """The classes of one label field, in label order; multi-label fields hold multi-hot rows."""

  classes: tuple[str, ...]
  multi_label: bool = False


@dataclasses.dataclass(frozen=True)
class Schema:
  """What a release holds: the feature dimension of each modality and its label fields."""

  modality_dims: Mapping[str, int]
  label_sets: Mapping[str, LabelSet]


@dataclasses.dataclass(frozen=True)
class Utterance:
  """One utterance as a reader found it.

  Attributes:
    id: unique utterance id (e.g. 'Ses01F_impro01_F000', '0_3' for MELD dialogue 0, turn 3).
    dialogue: the dialogue (or video) it belongs to.
    speaker: the speaker's name or id.
    features: modality -> frames [T, D]; a modality the release lacks for it is absent.
    labels: label field -> class index (int), or multi-hot float32 [K] for multi-label fields.
    source: the file it was read from (its labels), for error messages.
    feature_sources: modality -> the file its features came from, where not ``source``.
  """

  id: str
  dialogue: str
  speaker: str
  features: Mapping[str, np.ndarray]
  labels: Mapping[str, int | np.ndarray]
  source: str
  feature_sources: Mapping[str, str] = dataclasses.field(default_factory=dict)


def sentiment_class(score: float) -> int:
  """Index into SENTIMENTS of a sentiment score (CMU-MOSEI's [-3, 3]): its sign."""
  return 0 if score == 0 else 1 if score > 0 else 2
