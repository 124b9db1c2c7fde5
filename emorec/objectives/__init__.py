"""Objective terms, each a pure function of model outputs, summed with weights from the config.

`config.objective` maps term names to weights; a zero weight leaves the term out entirely.
Each name maps to a builder that reads the term's options from the whole config (for example
`config.cmdm` for the distribution-matching terms) and returns the `Term`. The builders of
`LABEL_TERMS` also take the labelled training labels, whose kind (class ids or multi-label
rows) and class balance set the loss.
"""

from __future__ import annotations

from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from emorec.objectives import cmdm, contrastive, supervised
from emorec.objectives.base import Outputs, Term

TermBuilder = Callable[[ml_collections.ConfigDict], Term]

TERMS: dict[str, TermBuilder] = {
    'supervised': supervised.supervised,
    'modality_supervised': supervised.modality_supervised,
    'reconstruction': cmdm.reconstruction,
    'mmd': cmdm.mmd,
    'prediction_matching': cmdm.prediction_matching,
    'contrastive': contrastive.contrastive,
}


# Terms built as `builder(config, train_labels)`.
LABEL_TERMS = ('supervised', 'modality_supervised')


def _build(name: str, config: ml_collections.ConfigDict,
           train_labels: np.ndarray | None) -> Term:
  if name in LABEL_TERMS:
    return TERMS[name](config, train_labels)
  return TERMS[name](config)


def active_terms(config: ml_collections.ConfigDict,
                 train_labels: np.ndarray | None = None) -> dict[str, tuple[Term, float]]:
  """The terms `config.objective` gives a non-zero weight, built from `config`.

  `train_labels` are those of the labelled training examples: [N] class ids (the default,
  None, means single-label) or [N, K] multi-label rows.
  """
  weights = config.objective
  unknown = sorted(set(weights) - set(TERMS))
  if unknown:
    raise ValueError(
        f'config.objective names unknown term(s) {unknown}; choose from {sorted(TERMS)}.')
  active = {name: (_build(name, config, train_labels), float(w))
            for name, w in weights.items() if w}
  if not active:
    raise ValueError('config.objective gives every term weight 0: nothing to train.')
  return active


def uses_unlabelled(terms: Mapping[str, tuple[Term, float]]) -> bool:
  return any(term.uses_unlabelled for term, _ in terms.values())


def combine(
    terms: Mapping[str, tuple[Term, float]],
    labelled: Outputs,
    unlabelled: Outputs | None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
  """The weighted total and every term's unweighted value."""
  values = {name: term.fn(labelled, unlabelled) for name, (term, _) in terms.items()}
  total = sum((weight * values[name] for name, (_, weight) in terms.items()), jnp.zeros(()))
  return total, values
