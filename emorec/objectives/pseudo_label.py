"""Pseudo-labels with a confidence threshold (FixMatch-style), on the unlabelled batch.

Two augmented views of every unlabelled utterance (`views.augment`): a weak one, whose fused
prediction (no gradient) gives the pseudo-label argmax_k p_k when its probability max_k p_k
reaches ``threshold``, and a strong one, trained towards it. The term is

  (1 / B) sum_i 1[max_k p_ik >= threshold] CE(strong logits_i, argmax_k p_ik),

the mean over the B utterances of the batch (confident or not, so that the term grows with the
share of confident predictions), 0 when none is confident. Options live in
``config.pseudo_label``: ``threshold``, and ``weak`` and ``strong``, each a `views.ViewOptions`
(noise, frame_dropout, modality_dropout).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from emorec.objectives.base import Outputs, Term, example_weights
from emorec.objectives.views import ViewOptions

WEAK, STRONG = 'pseudo_label/weak', 'pseudo_label/strong'


def confident_cross_entropy(weak_logits: jax.Array, strong_logits: jax.Array,
                            weights: jax.Array, threshold: float) -> jax.Array:
  """The mean over the batch of the strong view's cross-entropy against the weak view's
  confident argmax, ``weights`` [B] marking the real utterances (module docstring)."""
  probabilities = jax.nn.softmax(jax.lax.stop_gradient(weak_logits), axis=-1)
  confident = (jnp.max(probabilities, axis=-1) >= threshold).astype(strong_logits.dtype)
  losses = optax.softmax_cross_entropy_with_integer_labels(
      strong_logits, jnp.argmax(probabilities, axis=-1))
  return jnp.sum(losses * confident * weights) / jnp.maximum(jnp.sum(weights), 1.0)


def pseudo_label(config: ml_collections.ConfigDict,
                 train_labels: np.ndarray | None = None) -> Term:
  """The pseudo-label term of ``config.pseudo_label`` (module docstring)."""
  if train_labels is not None and np.ndim(train_labels) != 1:
    raise ValueError('objective.pseudo_label takes single-label corpora (class ids), not '
                     'multi-label rows.')
  options = config.pseudo_label
  threshold = float(options.threshold)
  if not 0.0 < threshold <= 1.0:
    raise ValueError(f'pseudo_label.threshold={threshold} must be in (0, 1].')
  views = {WEAK: ViewOptions.from_config(options.weak, 'pseudo_label.weak'),
           STRONG: ViewOptions.from_config(options.strong, 'pseudo_label.strong')}

  def fn(labelled: Outputs, unlabelled: Outputs | None) -> jax.Array:
    del labelled
    weak, strong = unlabelled.views[WEAK], unlabelled.views[STRONG]
    return confident_cross_entropy(weak.logits, strong.logits, example_weights(strong.batch),
                                   threshold)

  return Term(fn, uses_unlabelled=True, views=views)
