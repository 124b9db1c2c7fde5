"""Objective terms, each a pure function of model outputs, summed with weights from the config.

`config.objective` maps term names to weights; a zero weight leaves the term out entirely.
`TERMS` is the registry: each name maps to a `TermSpec` whose `build` reads the term's options
from the whole config (for example `config.cmdm` for the distribution-matching terms) and
returns the `Term`, and whose `needs` says which model outputs the term reads, so that the
model parts producing them (decoders, pair critics, common codes) are built only while the
term is active. Label terms also take the labelled training labels, whose kind (class ids or
multi-label rows) and class balance set the loss.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from emorec.objectives import cmdm, contrastive, model_parts, pseudo_label, supervised
from emorec.objectives.base import Outputs, Term
from emorec.objectives.model_parts import COMMON_CODES, PAIR_SCORES, RECONSTRUCTIONS
from emorec.objectives.views import ViewOptions
from emorec.registry import unknown_name_error

TermBuilder = Callable[[ml_collections.ConfigDict, np.ndarray | None], Term]
NeedsFn = Callable[[ml_collections.ConfigDict], frozenset[str]]

def _no_needs(config: ml_collections.ConfigDict) -> frozenset[str]:
  del config
  return frozenset()


@dataclasses.dataclass(frozen=True)
class TermSpec:
  """A registered term: how to build it and which model outputs it reads."""

  build: TermBuilder
  needs: NeedsFn = _no_needs


def _common_codes(config: ml_collections.ConfigDict) -> frozenset[str]:
  """The common codes, which the terms comparing codes across modalities read."""
  del config
  return frozenset({COMMON_CODES})


def _contrastive_needs(config: ml_collections.ConfigDict) -> frozenset[str]:
  """Cosine scores of common codes (infonce), or the pair critics' scores."""
  uses_critic = config.contrastive.estimator in contrastive.CRITIC_ESTIMATORS
  return frozenset({PAIR_SCORES if uses_critic else COMMON_CODES})


TERMS: dict[str, TermSpec] = {
    'supervised': TermSpec(supervised.supervised),
    'modality_supervised': TermSpec(supervised.modality_supervised),
    'reconstruction': TermSpec(cmdm.reconstruction, lambda config: frozenset({RECONSTRUCTIONS})),
    'mmd': TermSpec(cmdm.mmd, _common_codes),
    'prediction_matching': TermSpec(cmdm.prediction_matching),
    'code_correlation': TermSpec(cmdm.code_correlation, _common_codes),
    'contrastive': TermSpec(contrastive.contrastive, _contrastive_needs),
    'pseudo_label': TermSpec(pseudo_label.pseudo_label),
}


def active_weights(config: ml_collections.ConfigDict) -> dict[str, float]:
  """The non-zero weights of `config.objective`, checked against the registry."""
  weights = config.objective
  for name in weights:
    if name not in TERMS:
      raise unknown_name_error('objective term', name, TERMS)
  active = {name: float(w) for name, w in weights.items() if w}
  if not active:
    raise ValueError('config.objective gives every term weight 0: nothing to train.')
  return active


def model_needs(config: ml_collections.ConfigDict) -> frozenset[str]:
  """The model outputs the active terms read (`RECONSTRUCTIONS`, `COMMON_CODES`, ...)."""
  return frozenset().union(*(TERMS[name].needs(config) for name in active_weights(config)))


def resolve(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """`config` whose model builds exactly the parts its active terms read, its derived fields
  set (`model_parts.resolve`)."""
  return model_parts.resolve(config, model_needs(config))


def active_terms(config: ml_collections.ConfigDict,
                 train_labels: np.ndarray | None = None) -> dict[str, tuple[Term, float]]:
  """The terms `config.objective` gives a non-zero weight, built from `config` resolved.

  `train_labels` are those of the labelled training examples: [N] class ids (the default,
  None, means single-label) or [N, K] multi-label rows.
  """
  resolved = resolve(config)
  return {name: (TERMS[name].build(resolved, train_labels), weight)
          for name, weight in active_weights(config).items()}


def uses_unlabelled(terms: Mapping[str, tuple[Term, float]]) -> bool:
  return any(term.uses_unlabelled for term, _ in terms.values())


def views(terms: Mapping[str, tuple[Term, float]]) -> dict[str, ViewOptions]:
  """Every view of the unlabelled batch the terms ask for, by name, in name order."""
  wanted: dict[str, ViewOptions] = {}
  for term_name, (term, _) in terms.items():
    for name, options in term.views.items():
      if wanted.setdefault(name, options) != options:
        raise ValueError(f'objective.{term_name} asks for view {name!r} with {options}, '
                         f'another term with {wanted[name]}.')
  return dict(sorted(wanted.items()))


def combine(
    terms: Mapping[str, tuple[Term, float]],
    labelled: Outputs,
    unlabelled: Outputs | None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
  """The weighted total and every term's unweighted value."""
  values = {name: term.fn(labelled, unlabelled) for name, (term, _) in terms.items()}
  total = sum((weight * values[name] for name, (_, weight) in terms.items()), jnp.zeros(()))
  return total, values
