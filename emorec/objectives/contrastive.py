"""Contrastive regularization (CR): telling same-emotion pairs of modality codes from others.

For each configured pair of modalities (a, b) the batch gives a score matrix S [B, B], S_ij
scoring the pairing of a's code of utterance i with b's code of utterance j: the model's pair
critic (``model.critic_hidden``; estimators 'bce' and 'mine') or the cosine similarity of
the common codes over a temperature ('infonce'; needs ``model.code_dim``). Positive and
negative pairings mark entries of S; only utterances that are real (not padding) and have
the modality on their side of the pairing take part. The regularizer is the mean over pairs
of one estimator's loss:

  bce: binary cross-entropy of S_ij as the logit of "same emotion", positives and negatives
    each averaged (a balanced discriminator).
  infonce: -log of the softmax mass of an anchor's positives among its positives and
    negatives, averaged over the anchors having a positive, in both directions (a's codes as
    anchors, then b's).
  mine: minus the Donsker-Varadhan (DV) bound mean_pos S - log mean_neg exp(S), with MINE's
    moving-average gradient correction (below).

Everything is computed over the arrays given: inside ``jit`` over the data mesh these are
the global batch, so neither the value nor its gradient depends on the number of devices.

MINE's correction. The gradient of log mean_neg exp(S) divides by the batch's own mean of
exp(S), estimated on the same pairs as its numerator, which biases it; MINE divides by a
moving average of the denominator over the training steps instead. A pure train step
(state, batch, rng) -> (state, metrics) carries no such statistic, so the average is kept in
the parameters: it is exp(-c), c the pair critic's output bias (a common shift of the scores
leaves the DV bound unchanged, so c has no other role). The loss's gradient is that of the
bound's tangent at this denominator, mean_pos S - mean_neg exp(S) + 1 (S including c): in
the critic's other parameters and the codes it is the corrected gradient, and in c it moves
exp(-c) towards the batch's denominator. To first order, an SGD step of rate lr is the moving
average exp(-c) <- (1 - lr) exp(-c) + lr mean_neg exp(S - c) (Adam rescales the rate). The
value reported is the batch's exact DV bound.

Options live in ``config.contrastive``:

  alpha: loss = (1 - alpha) * CE + alpha * L_disc; the config file ties
    ``objective.supervised`` and ``objective.contrastive`` to it (this term reads neither).
  estimator: 'bce' | 'infonce' | 'mine'.
  pairs: modality pairs, 'all' or e.g. 'audio-text' (the model's critics score the same).
  negatives: 'shuffle' (j = i + 1 mod B: a fixed derangement of the batch), 'all' (every
    j != i) or 'different_emotion' (every j with y_j != y_i; labelled batch only).
  positives: 'same_utterance' (j = i) or 'same_emotion' (every j with y_j == y_i; labelled
    batch only). Positives are never negatives.
  temperature: of the cosine similarity ('infonce').
  on_unlabelled: also regularize the unlabelled batch (label-free options only); the value
    is then the mean of the labelled and unlabelled batches' values.
  on_labelled: regularize the labelled batch (default True); False with on_unlabelled
    regularizes the unlabelled batch only, a purely self-supervised cross-modal term.
"""

from __future__ import annotations

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from emorec.objectives.base import Outputs, Term, example_weights, weighted_mean
from emorec.pairs import Pair, pair_name, parse_pairs
from emorec.registry import check_choice

Estimator = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]
LABEL_FREE = {'negatives': ('shuffle', 'all'), 'positives': ('same_utterance',)}


def masked_logsumexp(x: jax.Array, mask: jax.Array, axis: int | None = None) -> jax.Array:
  """log sum(mask * exp(x)) over ``axis``; log(tiny) where the mask is empty, finite gradients."""
  inside = mask > 0
  shift = jnp.max(jnp.where(inside, x, -jnp.inf), axis=axis, keepdims=True)
  shift = jax.lax.stop_gradient(jnp.where(jnp.isfinite(shift), shift, 0.0))
  total = jnp.sum(mask * jnp.exp(jnp.where(inside, x, shift) - shift), axis=axis, keepdims=True)
  log_total = jnp.log(jnp.maximum(total, jnp.finfo(x.dtype).tiny)) + shift
  return jnp.squeeze(log_total, axis=axis)


def cosine_scores(z_a: jax.Array, z_b: jax.Array, temperature: float) -> jax.Array:
  """Cosine similarity [B, B] of every pair of rows of z_a and z_b, over ``temperature``."""
  def unit(z: jax.Array) -> jax.Array:
    return z * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.square(z), -1, keepdims=True), 1e-12))

  return jnp.matmul(unit(z_a), unit(z_b).T, precision=jax.lax.Precision.HIGHEST) / temperature


def _same_utterance(labels: jax.Array | None, size: int) -> jax.Array:
  del labels
  return jnp.eye(size)


def _same_emotion(labels: jax.Array, size: int) -> jax.Array:
  del size
  return (labels[:, None] == labels[None, :]).astype(jnp.float32)


def _shuffle(labels: jax.Array | None, size: int) -> jax.Array:
  del labels
  return jnp.roll(jnp.eye(size), 1, axis=1)


def _all_others(labels: jax.Array | None, size: int) -> jax.Array:
  del labels
  return 1.0 - jnp.eye(size)


def _different_emotion(labels: jax.Array, size: int) -> jax.Array:
  return 1.0 - _same_emotion(labels, size)


# Each maps the labels [B] (None on the unlabelled batch) and B to a {0, 1} mask [B, B].
POSITIVES = {'same_utterance': _same_utterance, 'same_emotion': _same_emotion}
NEGATIVES = {'shuffle': _shuffle, 'all': _all_others, 'different_emotion': _different_emotion}


def pair_masks(rows: jax.Array, columns: jax.Array, labels: jax.Array | None, *,
               positives: str, negatives: str) -> tuple[jax.Array, jax.Array]:
  """Positive and negative masks [B, B] of the pairings of row i and column j.

  ``rows`` and ``columns`` [B] weight the utterances whose code takes part on each side.
  """
  size = rows.shape[0]
  present = rows[:, None] * columns[None, :]
  positive = POSITIVES[positives](labels, size)
  negative = NEGATIVES[negatives](labels, size) * (1.0 - positive)
  return positive * present, negative * present


def bce_loss(scores: jax.Array, positive: jax.Array, negative: jax.Array) -> jax.Array:
  """Balanced binary cross-entropy of the scores as logits of "positive pair"."""
  return (weighted_mean(jax.nn.softplus(-scores), positive)
          + weighted_mean(jax.nn.softplus(scores), negative))


def _anchor_nce(scores: jax.Array, positive: jax.Array, negative: jax.Array) -> jax.Array:
  """InfoNCE with the rows as anchors, averaged over the rows having a positive."""
  losses = (masked_logsumexp(scores, positive + negative, axis=1)
            - masked_logsumexp(scores, positive, axis=1))
  return weighted_mean(losses, (jnp.sum(positive, axis=1) > 0).astype(scores.dtype))


def infonce_loss(scores: jax.Array, positive: jax.Array, negative: jax.Array) -> jax.Array:
  """Symmetric InfoNCE: the mean of the row-anchored and the column-anchored losses."""
  return 0.5 * (_anchor_nce(scores, positive, negative)
                + _anchor_nce(scores.T, positive.T, negative.T))


def mine_loss(scores: jax.Array, positive: jax.Array, negative: jax.Array) -> jax.Array:
  """Minus the DV bound, with MINE's moving-average-corrected gradient (module docstring)."""
  log_denominator = (masked_logsumexp(scores, negative)
                     - jnp.log(jnp.maximum(jnp.sum(negative), 1.0)))
  positive_mean = weighted_mean(scores, positive)
  bound = positive_mean - log_denominator
  # The bound's tangent at the denominator exp(-bias) the critic's output bias holds.
  tangent = positive_mean - jnp.exp(log_denominator) + 1.0
  return jax.lax.stop_gradient(tangent - bound) - tangent


# Each maps pair scores and the positive and negative masks [B, B] to a scalar loss.
ESTIMATORS: dict[str, Estimator] = {'bce': bce_loss, 'infonce': infonce_loss, 'mine': mine_loss}
# Estimators scoring pairs with the model's pair critics (the others compare common codes).
CRITIC_ESTIMATORS = ('bce', 'mine')
ScoreFn = Callable[[Outputs, Pair], jax.Array]


def critic_scores(outputs: Outputs, pair: Pair) -> jax.Array:
  """The model's pair critic scores [B, B] of ``pair``."""
  return outputs.aux['pair_scores'][pair_name(pair)]


def cosine_code_scores(outputs: Outputs, pair: Pair, *, temperature: float) -> jax.Array:
  """Cosine similarities [B, B] of the pair's common codes, over ``temperature``."""
  codes = outputs.aux['common_codes']
  return cosine_scores(codes[pair[0]], codes[pair[1]], temperature)


def regularizer(outputs: Outputs, pairs: tuple[Pair, ...], *, scores: ScoreFn,
                loss: Estimator, positives: str, negatives: str) -> jax.Array:
  """The mean over ``pairs`` of ``loss`` on one batch's pair ``scores`` (module docstring)."""
  valid = example_weights(outputs.batch)
  present = {m: valid * outputs.aux['present'][m] for pair in pairs for m in pair}
  values = []
  for a, b in pairs:
    positive, negative = pair_masks(present[a], present[b], outputs.batch.get('label'),
                                    positives=positives, negatives=negatives)
    values.append(loss(scores(outputs, (a, b)), positive, negative))
  return jnp.mean(jnp.stack(values))


def _check_options(config: ml_collections.ConfigDict) -> None:
  """Clear errors for options the model or the batches cannot serve."""
  options, model = config.contrastive, config.model
  check_choice('contrastive.estimator', options.estimator, ESTIMATORS)
  check_choice('contrastive.negatives', options.negatives, NEGATIVES)
  check_choice('contrastive.positives', options.positives, POSITIVES)
  if not (options.on_labelled or options.on_unlabelled):
    raise ValueError('contrastive.on_labelled and contrastive.on_unlabelled are both False: '
                     'the term would regularize no batch.')
  if options.on_unlabelled and not all(options[f] in LABEL_FREE[f] for f in LABEL_FREE):
    raise ValueError('contrastive.on_unlabelled needs label-free pairings: negatives '
                     f"{LABEL_FREE['negatives']} and positives {LABEL_FREE['positives']}.")
  if options.estimator not in CRITIC_ESTIMATORS:
    if not model.get('code_dim'):
      raise ValueError(f'contrastive.estimator={options.estimator!r} compares common codes; '
                       'set model.common_code=True (or leave it None).')
  elif not model.get('critic_hidden'):
    raise ValueError(f'contrastive.estimator={options.estimator!r} scores pairs with the '
                     "model's pair critic; set model.critic_hidden > 0.")
  if options.temperature <= 0:
    raise ValueError(f'contrastive.temperature={options.temperature} must be positive.')


def _checked_pairs(config: ml_collections.ConfigDict) -> tuple[Pair, ...]:
  modalities = tuple(config.model.modalities)
  pairs = parse_pairs(config.contrastive.pairs, modalities, field='contrastive.pairs')
  if not pairs:
    raise ValueError(f'objective.contrastive needs a pair of modalities; model.modalities is '
                     f'{modalities} and contrastive.pairs {config.contrastive.pairs!r}.')
  if config.contrastive.estimator != 'infonce':
    scored = set(parse_pairs(config.model.critic_pairs, modalities, field='model.critic_pairs'))
    if not set(pairs) <= scored:
      raise ValueError(f'contrastive.pairs {config.contrastive.pairs!r} needs critics the '
                       f'model lacks: model.critic_pairs is {config.model.critic_pairs!r}.')
  return pairs


def contrastive(config: ml_collections.ConfigDict,
                train_labels: np.ndarray | None = None) -> Term:
  """The CR term of ``config.contrastive`` (module docstring)."""
  del train_labels
  _check_options(config)
  options = config.contrastive
  scores = critic_scores
  if options.estimator == 'infonce':
    scores = functools.partial(cosine_code_scores, temperature=options.temperature)
  batch_regularizer = functools.partial(
      regularizer, pairs=_checked_pairs(config), scores=scores,
      loss=ESTIMATORS[options.estimator], positives=options.positives,
      negatives=options.negatives)
  on_labelled = bool(options.on_labelled)
  on_unlabelled = bool(options.on_unlabelled)

  def fn(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
    chosen = [batch for batch, on in ((labelled, on_labelled), (unlabelled, on_unlabelled)) if on]
    return jnp.mean(jnp.stack([batch_regularizer(batch) for batch in chosen]))

  return Term(fn, uses_unlabelled=on_unlabelled)
