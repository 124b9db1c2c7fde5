"""Zero-shot and few-shot protocols: emotions held out of training, and metrics by group.

Two optional fields of ``config.data`` select the protocol:

  held_out: emotions of the corpus kept from training (default: none, the ordinary run).
  few_shot: 0 for zero-shot; a share s > 0 keeps ceil(s * P) + 1 of the P utterances
    positive for each held-out emotion (the paper's few-shot protocol is s = 0.01).

Training sees a *view* of the corpus, built alike for every split (train, and validation,
which selects the checkpoint):

  zero-shot: every utterance positive for a held-out emotion is dropped, and the label set
    excludes the held-out emotions (multi-label columns removed, class ids renumbered);
  few-shot: the label set is whole; of the utterances positive for a held-out emotion only
    the few drawn for the split remain.

The test split is scored whole, over every emotion of the corpus (generalised zero-shot:
seen and unseen emotions compete), by ``scoring_model``; ``group_means`` then adds the mean
of every per-emotion metric over the held-out ('unseen/…') and the other ('seen/…') emotions.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping, Sequence

import flax.linen as nn
import ml_collections
import numpy as np
import tensorflow as tf

from emorec.data.corpus import Corpus, Split
from emorec.models.emotion_embedding import EmotionEmbeddingClassifier
from emorec.training import labels


def held_out_ids(emotions: Sequence[str], held_out: Sequence[str]) -> tuple[int, ...]:
  """Class ids of the ``held_out`` emotions, in corpus order."""
  if isinstance(held_out, str):
    raise TypeError(f'held_out must be a sequence of emotions, not the string {held_out!r}.')
  unknown = [e for e in held_out if e not in emotions]
  if unknown:
    raise ValueError(f"data.held_out names {', '.join(map(repr, unknown))}, which the corpus "
                     f"lacks; its emotions: {', '.join(emotions)}.")
  return tuple(k for k, e in enumerate(emotions) if e in held_out)


def positives(labels: np.ndarray, k: int) -> np.ndarray:
  """Boolean [N]: rows positive for class k, of [N] class ids or [N, K] {0, 1} rows."""
  return labels == k if labels.ndim == 1 else labels[:, k] > 0


def few_shot_count(num_positives: int, share: float) -> int:
  """ceil(share * P) + 1 positives kept (at most P)."""
  return min(math.ceil(share * num_positives) + 1, num_positives)


def kept_indices(labels: np.ndarray, held_out: Sequence[int], few_shot: float,
                 seed: Sequence[int]) -> np.ndarray:
  """Sorted rows left when the positives of ``held_out`` classes are dropped.

  With ``few_shot`` > 0, ``few_shot_count`` positives of each held-out class k, drawn with
  the generator of ``(*seed, k)``, stay (in multi-label rows they may hold other held-out
  classes too).
  """
  keep = ~np.any([positives(labels, k) for k in held_out], axis=0)
  if few_shot > 0:
    for k in held_out:
      rows = np.flatnonzero(positives(labels, k))
      count = few_shot_count(rows.size, few_shot)
      keep[np.random.default_rng([*seed, k]).choice(rows, size=count, replace=False)] = True
  return np.flatnonzero(keep)


def subset(split: Split, indices: np.ndarray) -> Split:
  """The split restricted to ``indices``, renumbered from 0 (examples keep their 'index')."""
  table = tf.constant(indices, tf.int64)
  return Split(labels=split.labels[indices],
               example_fn=lambda index: split.example_fn(tf.gather(table, index)))


def restrict_labels(split: Split, seen: Sequence[int], num_classes: int) -> Split:
  """The split labelled over the ``seen`` of ``num_classes`` classes, renumbered in order.

  Single-label examples of other classes would get class -1: drop them first.
  """
  seen = np.asarray(seen, np.int64)
  if split.labels.ndim == 2:
    columns = tf.constant(seen)

    def select(example: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
      return {**example, 'labels': tf.gather(example['labels'], columns)}

    labels = split.labels[:, seen]
  else:
    renumber = np.full(num_classes, -1, np.int32)
    renumber[seen] = np.arange(seen.size)
    table = tf.constant(renumber)

    def select(example: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
      return {**example, 'label': tf.gather(table, example['label'])}

    labels = renumber[split.labels]
  return Split(labels=labels, example_fn=lambda index: select(split.example_fn(index)))


def training_view(corpus: Corpus, held_out: Sequence[str], few_shot: float = 0.0,
                  seed: int = 0) -> Corpus:
  """The corpus as training sees it under the protocol (see the module docstring)."""
  if few_shot < 0:
    raise ValueError(f'data.few_shot must be >= 0, got {few_shot}.')
  held = held_out_ids(corpus.emotions, held_out)
  if not held:
    return corpus
  seen = tuple(k for k in range(corpus.num_classes) if few_shot > 0 or k not in held)
  splits = {}
  for stream, (name, split) in enumerate(corpus.splits.items()):
    kept = subset(split, kept_indices(split.labels, held, few_shot, seed=(seed, stream)))
    splits[name] = (kept if len(seen) == corpus.num_classes
                    else restrict_labels(kept, seen, corpus.num_classes))
  return dataclasses.replace(
      corpus, emotions=tuple(corpus.emotions[k] for k in seen), splits=splits,
      info={**corpus.info, 'held_out': tuple(held_out), 'few_shot': few_shot})


def view_of(corpus: Corpus, data_config: ml_collections.ConfigDict, seed: int) -> Corpus:
  """``training_view`` of the protocol ``data.held_out`` and ``data.few_shot`` select."""
  return training_view(corpus, tuple(data_config.get('held_out', ())),
                       float(data_config.get('few_shot', 0.0)), seed)


def label_columns(trained: Sequence[str], target: Sequence[str]) -> np.ndarray:
  """Column of each ``trained`` emotion among the ``target`` emotions."""
  missing = [e for e in trained if e not in target]
  if missing:
    raise ValueError(f'emotions {missing} are not among {tuple(target)}.')
  return np.array([list(target).index(e) for e in trained])


def scoring_model(model: nn.Module, trained: Sequence[str],
                  target: Sequence[str]) -> tuple[nn.Module, np.ndarray | None]:
  """A model scoring the ``target`` emotions, and the columns its outputs fill (None: all).

  An emotion-embedding model is rebuilt on the targets' word vectors and scores them all;
  any other model keeps one output per trained emotion, so it fills the trained emotions'
  columns and can never predict the others.
  """
  if tuple(trained) == tuple(target):
    return model, None
  if isinstance(model, EmotionEmbeddingClassifier):
    return labels.relabel(model, target), None
  return model, label_columns(trained, target)


def _mean(values: Sequence[float]) -> float:
  """Mean of the non-NaN values; NaN when there are none (an undefined AUC is NaN)."""
  finite = [v for v in values if not math.isnan(v)]
  return float(np.mean(finite)) if finite else math.nan


def group_means(metrics: Mapping[str, float], emotions: Sequence[str],
                held_out: Sequence[str]) -> dict[str, float]:
  """'unseen/<metric>' and 'seen/<metric>': means of each per-emotion metric ('<metric>/<emotion>')
  over the held-out emotions and over the others; none when nothing is held out."""
  if not held_out:
    return {}
  groups = {'unseen': [e for e in emotions if e in held_out],
            'seen': [e for e in emotions if e not in held_out]}
  names = sorted({key.rpartition('/')[0] for key in metrics
                  if key.rpartition('/')[2] in emotions and '/' in key})
  return {f'{group}/{name}': _mean([metrics[f'{name}/{e}'] for e in members])
          for group, members in groups.items() if members for name in names}
