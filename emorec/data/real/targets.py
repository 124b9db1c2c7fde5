"""Protocols' label targets: which label field a protocol reads and how its classes map.

IEMOCAP '4class' takes neutral, happy (with excited merged in), sad and angry and drops the
rest; '6class' the conv-emotion release's six classes. MELD 'emotion' (7 classes) or
'sentiment' (3). CMU-MOSEI 'emotions' (6-emotion multi-label) or 'sentiment' (3).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from emorec.data.real import conv_emotion, meld, mosei
from emorec.data.real.utterance import LABEL, LABELS, SENTIMENT, SENTIMENTS, Schema


@dataclasses.dataclass(frozen=True)
class Target:
  """A protocol's classes, read from the release's label ``field``.

  Attributes:
    field: 'label', 'labels' (multi-label) or 'sentiment'.
    classes: the protocol's classes, in label order.
    merge: release class -> protocol class it joins; release classes that are neither in
      ``classes`` nor merged are dropped.
  """

  field: str
  classes: tuple[str, ...]
  merge: Mapping[str, str] = dataclasses.field(default_factory=dict)

  @property
  def multi_label(self) -> bool:
    return self.field == LABELS


TARGETS = {
    'iemocap': {'4class': Target(LABEL, ('neutral', 'happy', 'sad', 'angry'),
                                 {'excited': 'happy'}),
                '6class': Target(LABEL, conv_emotion.IEMOCAP_CLASSES)},
    'meld': {'emotion': Target(LABEL, meld.EMOTIONS),
             'sentiment': Target(SENTIMENT, SENTIMENTS)},
    'mosei': {'emotions': Target(LABELS, mosei.EMOTIONS),
              'sentiment': Target(SENTIMENT, SENTIMENTS)},
}


def target_of(corpus: str, protocol: str) -> Target:
  """The target of ``data.protocol`` for ``corpus``."""
  known = TARGETS.get(corpus, {})
  if protocol not in known:
    raise ValueError(f'Unknown data.protocol {protocol!r} for {corpus}; choose one of: '
                     f'{", ".join(known)}.')
  return known[protocol]


def class_map(target: Target, schema: Schema, protocol: str) -> np.ndarray:
  """Release class -> protocol class (-1: dropped); for a multi-label target, the release
  column of each protocol class. Errors name what the release lacks."""
  if target.field not in schema.label_sets:
    raise ValueError(f'data.protocol {protocol!r} reads the {target.field!r} labels, which this '
                     f'release lacks (it has {sorted(schema.label_sets)}).')
  release = schema.label_sets[target.field].classes
  mapped = [target.merge.get(c, c) for c in release]
  absent = [c for c in target.classes if c not in mapped]
  if absent:
    raise ValueError(f'data.protocol {protocol!r} needs the classes {absent}, which this '
                     f'release lacks (its classes: {list(release)}).')
  if target.multi_label:
    return np.array([mapped.index(c) for c in target.classes])
  return np.array([target.classes.index(c) if c in target.classes else -1 for c in mapped])


def target_labels(target: Target, mapping: np.ndarray,
                  values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(int32 labels under the protocol, mask of the rows it keeps) of release label ``values``,
  ``mapping`` being the target's ``class_map``."""
  if target.multi_label:
    return values[:, mapping].astype(np.int32), np.ones(len(values), bool)
  labels = mapping[values.astype(np.int64)].astype(np.int32)
  return labels, labels >= 0
