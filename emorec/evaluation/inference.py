"""A trained run applied to any corpus and label set: per-utterance probabilities and metrics.

``restore_run`` rebuilds a run from its config and restores its validation-selected
parameters (every seed replica). ``predict`` scores one split of a corpus with the trained
labels or with any label words: an emotion-embedding model scores words it never saw through
their vectors (looked up where its own came from, ``emorec.training.labels.relabel``); a plain
classifier can only score emotions it was trained on. Probabilities are a softmax over the
scored labels (single-label runs) or each label's sigmoid (multi-label runs), per replica.
``label_metrics`` scores them against gold labels named like the scored ones.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from typing import Any, Mapping, Sequence

import jax
import ml_collections
import numpy as np

from emorec.data.corpus import Corpus
from emorec.evaluation import metrics, predictions
from emorec.experiments import compare, report
from emorec.models.emotion_embedding import EmotionEmbeddingClassifier
from emorec.training import labels, seeds, sharding, train


@dataclasses.dataclass(frozen=True)
class Run:
  """A trained run: its experiment (config, training corpus, model) and selected parameters."""

  experiment: train.Experiment
  params: Any

  @property
  def trained_labels(self) -> tuple[str, ...]:
    return tuple(self.experiment.view.emotions)

  @property
  def multi_label(self) -> bool:
    return self.experiment.corpus.multi_label


@dataclasses.dataclass(frozen=True)
class Predictions:
  """One split scored, one row per utterance.

  Attributes:
    ids: utterance ids (the row numbers when the corpus has none).
    labels: the K scored labels, in column order.
    probabilities: float [S, N, K], one slice per seed replica.
    multi_label: whether each label is its own binary decision (sigmoid) or one label wins.
    gold: int [N] class ids into ``gold_labels``, or {0, 1} [N, K_gold]; None without labels.
    gold_labels: the corpus's label names.
  """

  ids: tuple[str, ...]
  labels: tuple[str, ...]
  probabilities: np.ndarray
  multi_label: bool
  gold: np.ndarray | None
  gold_labels: tuple[str, ...]

  def mean(self) -> np.ndarray:
    """Probabilities [N, K] averaged over the seed replicas."""
    return self.probabilities.mean(axis=0)


def restore_run(config: ml_collections.ConfigDict, workdir: str) -> Run:
  """The run ``config`` trained in ``workdir``, its validation-selected parameters restored."""
  experiment = train.build_experiment(config)
  return Run(experiment, predictions.restore_selected(experiment, workdir))


def check_features(run: Run, corpus: Corpus) -> None:
  """Raises a ValueError when ``corpus`` lacks a modality of the run or its dimension differs."""
  trained = run.experiment.corpus.modality_dims
  for modality in run.experiment.model.modalities:
    if modality not in corpus.modality_dims:
      raise ValueError(f'corpus {corpus.name!r} has no {modality} features; the run was trained '
                       f'on {dict(trained)}.')
    if corpus.modality_dims[modality] != trained[modality]:
      raise ValueError(f'corpus {corpus.name!r}: {modality} features have dimension '
                       f'{corpus.modality_dims[modality]}, the run was trained on '
                       f'{trained[modality]}: extract them with the same encoder.')


def scoring_model(run: Run, words: Sequence[str] | None) -> tuple[Any, tuple[str, ...],
                                                                   np.ndarray | None]:
  """(model, scored labels, output columns to keep: None for all) of label ``words`` (None:
  the trained labels)."""
  model, trained = run.experiment.model, run.trained_labels
  if words is None or tuple(words) == trained:
    return model, trained, None
  words = tuple(words)
  if isinstance(model, EmotionEmbeddingClassifier):
    return labels.relabel(model, words), words, None
  unknown = [w for w in words if w not in trained]
  if unknown:
    raise ValueError(f'the run has a plain classifier head, trained on {list(trained)}; it has '
                     f'no output for {unknown}. Only an emotion-embedding head scores new labels.')
  return model, words, np.array([trained.index(w) for w in words])


def _probabilities(logits: jax.Array, multi_label: bool) -> jax.Array:
  return jax.nn.sigmoid(logits) if multi_label else jax.nn.softmax(logits, axis=-1)


def predict(run: Run, corpus: Corpus, split: str = 'test',
            words: Sequence[str] | None = None) -> Predictions:
  """Scores every utterance of ``corpus``'s ``split`` with label ``words`` (None: trained)."""
  if split not in corpus.splits:
    raise ValueError(f'corpus {corpus.name!r} has no split {split!r}; it has '
                     f'{sorted(corpus.splits)}.')
  check_features(run, corpus)
  model, scored, columns = scoring_model(run, words)
  experiment = run.experiment
  multi_label = run.multi_label

  def step(params: Any, batch: Mapping[str, jax.Array]) -> jax.Array:
    logits, _ = model.apply({'params': params}, batch, train=False)
    if columns is not None:
      logits = logits[..., columns]
    return _probabilities(logits, multi_label)

  if experiment.num_seeds > 1:
    step = seeds.over_seeds(step, (0, None))
  jitted = jax.jit(step, out_shardings=sharding.replicated(experiment.mesh))
  parts, valid = [], []
  for batch in train.eval_batches(experiment.config, corpus, split, experiment.mesh):
    probabilities = jax.device_get(jitted(run.params, sharding.to_global(batch,
                                                                         experiment.mesh)))
    parts.append(probabilities if experiment.num_seeds > 1 else probabilities[None])
    valid.append(batch['valid'] > 0)
  keep = np.concatenate(valid)
  split_data = corpus.splits[split]
  ids = (tuple(str(i) for i in split_data.ids) if split_data.ids is not None
         else tuple(str(i) for i in range(split_data.num_examples)))
  labelled = corpus.info.get('labelled', True) and corpus.num_classes > 0
  return Predictions(
      ids=ids, labels=scored, probabilities=np.concatenate(parts, axis=1)[:, keep],
      multi_label=multi_label, gold=split_data.labels if labelled else None,
      gold_labels=tuple(corpus.emotions))


def _single_label_metrics(probabilities: np.ndarray, gold: np.ndarray,
                          scored: Sequence[str]) -> dict[str, float]:
  """Confusion metrics of the argmax and each label's one-vs-rest AUC ('auc/<label>', 'auc')."""
  results = metrics.classification_metrics(
      metrics.confusion_matrix(gold, probabilities.argmax(-1), len(scored)), scored)
  aucs = {f'auc/{name}': metrics.roc_auc(gold == k, probabilities[:, k])
          for k, name in enumerate(scored)}
  defined = [v for v in aucs.values() if not np.isnan(v)]
  return {**results, **aucs, 'auc': float(np.mean(defined)) if defined else float('nan')}


def label_metrics(scored: Predictions, threshold: float = 0.5) -> dict[str, float]:
  """Metrics of the scored labels against the gold ones, per seed replica summarised
  (``seeds.summarize``: the values for one replica; mean, std, ci95 and each seed's for more).

  Gold labels are matched to scored labels by name. Single-label: the utterances whose gold
  label is scored ('scored_share' says which share that is); WA, UA, weighted and macro F1,
  per-label precision, recall, F1 and AUC. Multi-label: the scored labels that have a gold
  column; per-label weighted accuracy, F1 and AUC (``metrics.multilabel_metrics``).
  """
  if scored.gold is None:
    raise ValueError('these utterances have no gold labels.')
  named = [name for name in scored.labels if name in scored.gold_labels]
  if not named:
    raise ValueError(f'no scored label {list(scored.labels)} is a gold label '
                     f'{list(scored.gold_labels)}; metrics need labels named alike.')
  per_seed = []
  if scored.multi_label:
    gold = scored.gold[:, [scored.gold_labels.index(n) for n in named]]
    columns = [scored.labels.index(n) for n in named]
    for probabilities in scored.probabilities:
      per_seed.append(metrics.multilabel_metrics(gold, probabilities[:, columns], named,
                                                 threshold))
  else:
    renumber = np.array([scored.labels.index(n) if n in scored.labels else -1
                         for n in scored.gold_labels])
    gold = renumber[scored.gold]
    rows = gold >= 0
    for probabilities in scored.probabilities:
      per_seed.append({**_single_label_metrics(probabilities[rows], gold[rows], scored.labels),
                       'scored_share': float(rows.mean())})
  return seeds.summarize(per_seed)


def _label_names(row: np.ndarray, names: Sequence[str]) -> str:
  return ';'.join(n for n, on in zip(names, row) if on)


def write_csv(scored: Predictions, path: str, threshold: float = 0.5) -> None:
  """One row per utterance: id, gold (when labelled), predicted, then p_<label> of every
  label (the mean over seed replicas). Multi-label: labels above ``threshold`` joined by ';'."""
  mean = scored.mean()
  header = ['id', *(['gold'] if scored.gold is not None else []), 'predicted',
            *(f'p_{name}' for name in scored.labels)]
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, 'w', newline='', encoding='utf-8') as f:
    writer = csv.writer(f)
    writer.writerow(header)
    for i, uid in enumerate(scored.ids):
      if scored.multi_label:
        predicted = _label_names(mean[i] > threshold, scored.labels)
        gold = [_label_names(scored.gold[i], scored.gold_labels)] if scored.gold is not None else []
      else:
        predicted = scored.labels[int(mean[i].argmax())]
        gold = [scored.gold_labels[int(scored.gold[i])]] if scored.gold is not None else []
      writer.writerow([uid, *gold, predicted, *(f'{p:.6f}' for p in mean[i])])


def metrics_table(results: Mapping[str, float], words: Sequence[str], multi_label: bool) -> str:
  """A markdown table of ``label_metrics`` (in percent, ± std over seeds): one row per label,
  then a line of the overall figures."""
  names = ('wacc', 'wf1', 'auc') if multi_label else ('auc', 'f1', 'recall')
  titles = ('WAcc', 'F1', 'AUC') if multi_label else ('AUC', 'F1', 'recall')
  rows = [[w, *(compare.mean_std(results, f'{n}/{w}') for n in names)] for w in words
          if f'{names[0]}/{w}' in results]
  overall = ((('WAcc', 'wacc'), ('F1', 'wf1'), ('AUC', 'auc')) if multi_label else
             (('WA', 'wa'), ('UA', 'ua'), ('weighted F1', 'weighted_f1'), ('mean AUC', 'auc')))
  line = ', '.join(f'{title} {compare.mean_std(results, key)}' for title, key in overall)
  return report.markdown_table(['label', *titles], rows) + f'\n\nAll labels: {line}'
