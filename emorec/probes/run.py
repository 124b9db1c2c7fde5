"""Linear probes on pooled features, as controls beside the networks: lr, pca and cca.

Every probe pools each modality over its real frames (`features.pool_split`), maps the pooled
features to a representation, and fits the logistic-regression probe
(`logistic_regression.fit_and_select`, L2 chosen on validation) on the labelled training
utterances' representations: the labelled subset the trainer draws (`pipeline.labelled_subset`
with the data seed and `data.label_fraction`), so probes and networks see the same labels.

  lr   the modalities' pooled features side by side (no unlabelled data used).
  pca  the `probe.pca_components` leading principal components of those features, fitted on
       every training utterance, labelled or not.
  cca  for each pair of `probe.cca_pairs`, a regularised CCA (`cca.fit_cca`) of the two
       modalities' pooled features with `probe.cca_components` components, fitted on every
       training utterance; the representation is, pair after pair, both views' canonical
       variates side by side ('concat', 2k per pair) or their mean ('mean', k per pair), as
       `probe.cca_projection` says.

  metrics = run.run_probe(config, 'cca')        # {'test/wa': …, 'test/ua': …, …}
  tables = run.run_probes(config, ('lr', 'pca', 'cca'))   # pools the corpus once
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import ml_collections
import numpy as np

from emorec.data import loader, pipeline
from emorec.pairs import parse_pairs
from emorec.probes import cca, logistic_regression, pca
from emorec.probes.features import Pooled, pool_split
from emorec.registry import check_choice, lookup
from emorec.training import seeds

# Pooled features of a split -> its representation [N, D'].
Representation = Callable[[Pooled], np.ndarray]
# (config.probe, the modalities, every training utterance pooled) -> the representation.
ProbeBuilder = Callable[[ml_collections.ConfigDict, tuple[str, ...], Pooled], Representation]
CCA_PROJECTIONS = ('concat', 'mean')


def concatenation(options: ml_collections.ConfigDict, modalities: tuple[str, ...],
                  unlabelled: Pooled) -> Representation:
  del options, unlabelled
  return lambda pooled: pooled.concatenated(modalities)


def principal_components(options: ml_collections.ConfigDict, modalities: tuple[str, ...],
                         unlabelled: Pooled) -> Representation:
  fitted = pca.fit_pca(unlabelled.concatenated(modalities), int(options.pca_components))
  return lambda pooled: pca.transform(fitted, pooled.concatenated(modalities))


def cca_pairs(options: ml_collections.ConfigDict,
              modalities: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
  """The pairs of ``probe.cca_pairs``, with ``probe.cca_projection`` checked."""
  check_choice('probe.cca_projection', options.cca_projection, CCA_PROJECTIONS)
  pairs = parse_pairs(options.cca_pairs, modalities, field='probe.cca_pairs')
  if not pairs:
    raise ValueError(f'probe.cca_pairs {options.cca_pairs!r} names no pair of '
                     f'model.modalities ({", ".join(modalities)}).')
  return pairs


def canonical_variates(options: ml_collections.ConfigDict, modalities: tuple[str, ...],
                       unlabelled: Pooled) -> Representation:
  pairs = cca_pairs(options, modalities)
  fitted = {(a, b): cca.fit_cca(unlabelled.features[a], unlabelled.features[b],
                                int(options.cca_components),
                                regularization=float(options.cca_regularization))
            for a, b in pairs}

  def represent(pooled: Pooled) -> np.ndarray:
    parts = []
    for (a, b), model in fitted.items():
      u, v = cca.transform(model, pooled.features[a], pooled.features[b])
      parts.extend([u, v] if options.cca_projection == 'concat' else [0.5 * (u + v)])
    return np.concatenate(parts, axis=1)

  return represent


PROBES: dict[str, ProbeBuilder] = {
    'lr': concatenation,
    'pca': principal_components,
    'cca': canonical_variates,
}


def pooled_splits(config: ml_collections.ConfigDict) -> tuple[dict[str, Pooled], tuple[str, ...]]:
  """The corpus of ``config.data`` pooled per split over ``model.modalities``, and its emotions."""
  data = config.data
  if tuple(data.get('held_out', ())) or data.get('few_shot', 0.0):
    raise ValueError('the probes train on every emotion: data.held_out and data.few_shot must '
                     'be empty.')
  corpus = loader.load_corpus(data)
  if corpus.multi_label:
    raise ValueError(f'the probes take single-label corpora; {corpus.name!r} is multi-label.')
  modalities = tuple(config.model.modalities)
  pooled = {name: pool_split(corpus.splits[name], modalities, max_len=int(data.max_len),
                             batch_size=int(config.eval.batch_size))
            for name in ('train', 'validation', 'test')}
  return pooled, corpus.emotions


def fit_probe(name: str, options: ml_collections.ConfigDict, modalities: tuple[str, ...],
              pooled: Mapping[str, Pooled], labelled: np.ndarray,
              emotions: Sequence[str]) -> dict[str, float]:
  """Probe ``name`` fitted on pooled splits: its validation and test metrics (module
  docstring), the chosen L2 (`probe/l2`) and the representation's width (`probe/dim`)."""
  represent = lookup('probe', name, PROBES)(options, modalities, pooled['train'])
  train = pooled['train'].take(labelled)
  datasets = [logistic_regression.Dataset(represent(split), split.labels)
              for split in (train, pooled['validation'], pooled['test'])]
  result = logistic_regression.fit_and_select(*datasets, emotions)
  return {**{f'validation/{k}': v for k, v in result.validation_metrics.items()},
          **{f'test/{k}': v for k, v in result.test_metrics.items()},
          'probe/l2': result.l2, 'probe/dim': float(datasets[0].features.shape[1])}


def labelled_indices(config: ml_collections.ConfigDict, labels: np.ndarray) -> np.ndarray:
  """The labelled training utterances the trainer of ``config`` uses."""
  return pipeline.labelled_subset(labels, config.data.label_fraction, seeds.data_seed(config),
                                  stratified=config.data.stratified)


def run_probes(config: ml_collections.ConfigDict,
               names: Sequence[str]) -> dict[str, dict[str, float]]:
  """{name: metrics} of every probe ``names`` lists, on one pooling of the corpus."""
  modalities = tuple(config.model.modalities)
  for name in names:
    lookup('probe', name, PROBES)
  if 'cca' in names:
    cca_pairs(config.probe, modalities)  # bad options fail before the corpus is pooled
  pooled, emotions = pooled_splits(config)
  labelled = labelled_indices(config, pooled['train'].labels)
  return {name: fit_probe(name, config.probe, modalities, pooled, labelled, emotions)
          for name in names}


def run_probe(config: ml_collections.ConfigDict, name: str) -> dict[str, float]:
  """The metrics of probe ``name`` on the corpus and labelled share of ``config``."""
  return run_probes(config, (name,))[name]
