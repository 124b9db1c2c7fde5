"""The model parts the active terms read, and the model fields that follow other fields.

A config describes every part a term could need (decoders, pair critics, a common code) and
leaves a field None to have it follow another one (`model.code_dim` follows `model.hidden`,
`model.critic_pairs` follows `contrastive.pairs`). `resolve` sets those fields when the
experiment is built, so that overrides never go stale, and switches off the parts no active
term reads.
"""

from __future__ import annotations

import ml_collections

# Model outputs a term may read beyond the logits (see MultimodalClassifier.term_outputs).
RECONSTRUCTIONS = 'reconstructions'
COMMON_CODES = 'common_codes'
PAIR_SCORES = 'pair_scores'


def resolve(config: ml_collections.ConfigDict, needs: frozenset[str]) -> ml_collections.ConfigDict:
  """A copy of ``config`` whose model builds the parts producing ``needs`` and no others.

  Idempotent: resolving a resolved config changes nothing.
  """
  resolved = ml_collections.ConfigDict(config.to_dict())
  model = resolved.model
  common_code = model.get('common_code')
  if common_code is None:
    common_code = COMMON_CODES in needs
  model.code_dim = (model.get('code_dim') or model.hidden) if common_code else 0
  model.common_code = bool(common_code)
  if model.get('decoder_width') is None:
    model.decoder_width = model.hidden
  if RECONSTRUCTIONS not in needs:
    model.reconstruction = ''
  if model.get('critic_pairs') is None:
    model.critic_pairs = resolved.contrastive.pairs
  if PAIR_SCORES not in needs:
    model.critic_hidden = 0
  return resolved
