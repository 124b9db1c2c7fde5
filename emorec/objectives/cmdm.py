"""Cross-modal distribution matching (CMDM) terms: reconstruction, code MMD, prediction matching,
and the paired code correlation.

Unlabelled utterances train the model through three terms (Liang, Li and Jin, ACM MM 2020):

  reconstruction: each modality's autoencoder reconstructs its input from its code, on the
    labelled and the unlabelled batch (needs ``model.reconstruction``).
  mmd: squared MMD between the common-code distributions (``model.code_dim``) of every pair
    of modalities, on the unlabelled batch (and optionally the labelled one), over the
    utterances that have both.
  prediction_matching: a symmetric divergence between the emotion distributions the
    per-modality heads predict for the same unlabelled utterance.

and a fourth that pairs the modalities of each utterance where the MMD compares marginals:

  code_correlation: soft CCA between the common codes of every pair of modalities on the
    unlabelled batch (``correlation.paired_correlation_loss``).

Their options live in ``config.cmdm``:

  estimator: MMD estimator, 'unbiased' | 'biased'.
  bandwidths: RBF bandwidths; () for the median heuristic.
  multipliers: median-heuristic bandwidths as multiples of the median distance.
  mmd_on_labelled: also match the codes of the labelled batch.
  divergence: prediction matching divergence, 'js' | 'kl' (symmetric).
  decorrelation: weight of the within-code decorrelation in code_correlation.
  pairs: modality pairs, 'all' or a comma-separated list such as 'text-audio,text-vision'.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from emorec.objectives.base import Outputs, Term, example_weights, weighted_mean
from emorec.objectives.correlation import paired_correlation_loss
from emorec.objectives.mmd import ESTIMATORS, mmd2
from emorec.pairs import Pair, parse_pairs
from emorec.registry import check_choice


def _both_present(outputs: Outputs, pair: Pair) -> jax.Array:
  """Weights [B]: 1 for real utterances having both modalities of the pair."""
  present = outputs.aux['present']
  return example_weights(outputs.batch) * present[pair[0]] * present[pair[1]]


def _reconstruction_sums(outputs: Outputs) -> dict[str, tuple[jax.Array, jax.Array]]:
  """{m: (weighted sum of squared errors per target value, sum of weights)} of one batch."""
  valid = example_weights(outputs.batch)
  sums = {}
  for m, (prediction, target, mask) in outputs.aux['reconstructions'].items():
    errors = jnp.mean(jnp.square(prediction - target), axis=-1)
    weights = mask * valid.reshape(valid.shape + (1,) * (mask.ndim - 1))
    sums[m] = (jnp.sum(errors * weights), jnp.sum(weights))
  return sums


def reconstruction_error(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
  """Mean squared reconstruction error, pooled over both batches, averaged over modalities.

  Each modality's error averages over the utterances (or real frames) that have it; the mean
  over modalities counts those present somewhere in the batches.
  """
  batches = [_reconstruction_sums(o) for o in (labelled, unlabelled) if o is not None]
  errors, counts = [], []
  for m in batches[0]:
    error = sum(sums[m][0] for sums in batches)
    count = sum(sums[m][1] for sums in batches)
    errors.append(error / jnp.maximum(count, 1.0))
    counts.append(count)
  has_modality = jnp.stack(counts) > 0
  return jnp.sum(jnp.stack(errors)) / jnp.maximum(jnp.sum(has_modality), 1)


def code_mmd(outputs: Sequence[Outputs], pairs: Sequence[Pair],
             kernel_mmd2: Callable[..., jax.Array]) -> jax.Array:
  """Mean over pairs of MMD^2 between the common codes of the utterances having both."""
  codes = {m: jnp.concatenate([o.aux['common_codes'][m] for o in outputs])
           for m in {m for pair in pairs for m in pair}}
  values = []
  for a, b in pairs:
    weights = jnp.concatenate([_both_present(o, (a, b)) for o in outputs])
    values.append(kernel_mmd2(codes[a], codes[b], weights, weights))
  return jnp.mean(jnp.stack(values))


def code_correlation_loss(outputs: Outputs, pairs: Sequence[Pair],
                          decorrelation: float) -> jax.Array:
  """Mean over pairs of the paired correlation loss of the utterances having both modalities."""
  codes = outputs.aux['common_codes']
  values = [paired_correlation_loss(codes[a], codes[b], _both_present(outputs, (a, b)),
                                    decorrelation=decorrelation)
            for a, b in pairs]
  return jnp.mean(jnp.stack(values))


def symmetric_kl(log_p: jax.Array, log_q: jax.Array) -> jax.Array:
  """KL(p || q) + KL(q || p) [B] of log-probabilities [B, K]."""
  return jnp.sum((jnp.exp(log_p) - jnp.exp(log_q)) * (log_p - log_q), axis=-1)


def jensen_shannon(log_p: jax.Array, log_q: jax.Array) -> jax.Array:
  """Jensen-Shannon divergence [B] of log-probabilities [B, K] (in nats, at most log 2)."""
  log_m = jnp.logaddexp(log_p, log_q) - jnp.log(2.0)

  def kl_to_m(log_r: jax.Array) -> jax.Array:
    return jnp.sum(jnp.exp(log_r) * (log_r - log_m), axis=-1)

  return 0.5 * (kl_to_m(log_p) + kl_to_m(log_q))


DIVERGENCES: dict[str, Callable[[jax.Array, jax.Array], jax.Array]] = {
    'js': jensen_shannon,
    'kl': symmetric_kl,
}


def prediction_divergence(outputs: Outputs, pairs: Sequence[Pair],
                          divergence: Callable[[jax.Array, jax.Array], jax.Array]) -> jax.Array:
  """Mean over pairs of the divergence between the two heads' predictions, where both exist."""
  log_probs = {m: jax.nn.log_softmax(logits)
               for m, logits in outputs.aux['modality_logits'].items()}
  values = [weighted_mean(divergence(log_probs[a], log_probs[b]), _both_present(outputs, (a, b)))
            for a, b in pairs]
  return jnp.mean(jnp.stack(values))


def _checked_pairs(config: ml_collections.ConfigDict, term: str) -> tuple[Pair, ...]:
  pairs = parse_pairs(config.cmdm.pairs, tuple(config.model.modalities),
                      field='cmdm.pairs')
  if not pairs:
    raise ValueError(f'objective.{term} needs a pair of modalities; model.modalities is '
                     f'{tuple(config.model.modalities)} and cmdm.pairs {config.cmdm.pairs!r}.')
  return pairs


def _require_model_field(config: ml_collections.ConfigDict, term: str, field: str,
                         fix: str) -> None:
  if not config.model.get(field):
    raise ValueError(f'objective.{term} needs model.{field}, which is unset: {fix}, or give '
                     f'objective.{term} weight 0.')


def reconstruction(config: ml_collections.ConfigDict,
                   train_labels: np.ndarray | None = None) -> Term:
  del train_labels
  _require_model_field(config, 'reconstruction', 'reconstruction',
                       "set model.reconstruction='statistics' or 'sequence'")
  return Term(reconstruction_error, uses_unlabelled=True)


def mmd(config: ml_collections.ConfigDict, train_labels: np.ndarray | None = None) -> Term:
  del train_labels
  _require_model_field(config, 'mmd', 'code_dim',
                       'the MMD compares common codes: set model.common_code to None or True')
  pairs = _checked_pairs(config, 'mmd')
  options = config.cmdm
  check_choice('cmdm.estimator', options.estimator, ESTIMATORS)
  kernel_mmd2 = functools.partial(
      mmd2, bandwidths=tuple(options.bandwidths), multipliers=tuple(options.multipliers),
      estimator=options.estimator)
  on_labelled = bool(options.mmd_on_labelled)

  def fn(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
    batches = (labelled, unlabelled) if on_labelled else (unlabelled,)
    return code_mmd(batches, pairs, kernel_mmd2)

  return Term(fn, uses_unlabelled=True)


def prediction_matching(config: ml_collections.ConfigDict,
                        train_labels: np.ndarray | None = None) -> Term:
  del train_labels
  pairs = _checked_pairs(config, 'prediction_matching')
  check_choice('cmdm.divergence', config.cmdm.divergence, DIVERGENCES)
  divergence = DIVERGENCES[config.cmdm.divergence]

  def fn(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
    del labelled
    return prediction_divergence(unlabelled, pairs, divergence)

  return Term(fn, uses_unlabelled=True)


def code_correlation(config: ml_collections.ConfigDict,
                     train_labels: np.ndarray | None = None) -> Term:
  del train_labels
  _require_model_field(config, 'code_correlation', 'code_dim',
                       'the term compares common codes: set model.common_code to None or True')
  pairs = _checked_pairs(config, 'code_correlation')
  decorrelation = float(config.cmdm.decorrelation)
  if decorrelation < 0:
    raise ValueError(f'cmdm.decorrelation must be >= 0, got {decorrelation}.')

  def fn(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
    del labelled
    return code_correlation_loss(unlabelled, pairs, decorrelation)

  return Term(fn, uses_unlabelled=True)
