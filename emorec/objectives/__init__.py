"""Objective terms, each a pure function of model outputs, summed with weights from the config.

`config.objective` maps term names to weights; a zero weight leaves the term out entirely.
"""

from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp

from emorec.objectives import supervised
from emorec.objectives.base import Outputs, Term

TERMS: dict[str, Term] = {
    'supervised': supervised.SUPERVISED,
    'modality_supervised': supervised.MODALITY_SUPERVISED,
}


def active_terms(weights: Mapping[str, float]) -> dict[str, tuple[Term, float]]:
  """The terms with a non-zero weight, checked against the known names."""
  unknown = sorted(set(weights) - set(TERMS))
  if unknown:
    raise ValueError(
        f'config.objective names unknown term(s) {unknown}; choose from {sorted(TERMS)}.')
  active = {name: (TERMS[name], float(w)) for name, w in weights.items() if w}
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
