"""Flax Linen modules: modality encoders, fusion, and the multimodal classifier.

``build_model`` reads these fields of an experiment's ``config.model``:

  modalities: tuple of modality names to read; each must be one the corpus has.
  encoder: modality encoder: 'meanpool' | 'gru' | 'lstm' | 'transformer'.
  hidden: code width of each modality (the encoder's output width).
  modality_hidden: ConfigDict {modality: width} overriding ``hidden``; may be empty.
  num_layers: per-frame MLP layers, recurrent layers or Transformer blocks of each encoder.
  num_heads: attention heads (transformer).
  bidirectional: also run right to left (gru, lstm).
  merge_directions: 'concat' (each direction hidden // 2 wide) | 'sum' (gru, lstm).
  pooling: 'mean' over real frames | 'last' real frame of each direction (gru, lstm).
  fusion: fusion of the codes: 'concat' | 'attention'.
  fusion_hidden: width of the fused representation.
  dropout: rate inside the encoders and on the fused representation.

Optional fields (absent or falsy: the plain classifier), for the CMDM autoencoders:

  code_dim: width of the common code each modality is projected to; fusion, heads and
    decoders then read it (see ``MultimodalClassifier``).
  reconstruction: what each modality's decoder reconstructs: 'statistics' | 'sequence'.
  decoder_width: hidden width of the decoders.
  decoder_depth: hidden layers of the decoders.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import flax.core
import flax.linen as nn
import ml_collections

from emorec.models.autoencoder import DECODERS, Reconstruction
from emorec.models.classifier import MultimodalClassifier
from emorec.models.encoders import ENCODERS, lookup, make_encoder, masked_mean
from emorec.models.fusion import FUSIONS, make_fusion

__all__ = [
    'DECODERS', 'ENCODERS', 'FUSIONS', 'MultimodalClassifier', 'Reconstruction', 'build_model',
    'make_encoder', 'make_fusion', 'masked_mean',
]

# Config fields that only some encoders read: {encoder: {encoder field: config field}}.
_RECURRENT_OPTIONS = {
    'bidirectional': 'bidirectional', 'merge': 'merge_directions', 'pooling': 'pooling'}
_ENCODER_OPTIONS = {
    'gru': _RECURRENT_OPTIONS,
    'lstm': _RECURRENT_OPTIONS,
    'transformer': {'num_heads': 'num_heads'},
}

# Optional fields of the CMDM autoencoders; when absent the module defaults (off) apply.
_AUTOENCODER_FIELDS = ('code_dim', 'reconstruction', 'decoder_width', 'decoder_depth')


def _check_modalities(names: Iterable[str], modality_dims: Mapping[str, int], what: str) -> None:
  missing = [m for m in names if m not in modality_dims]
  if missing:
    raise ValueError(f"{what} names {', '.join(map(repr, missing))}, which the corpus lacks; "
                     f"it has: {', '.join(modality_dims)}")


def build_model(model_config: ml_collections.ConfigDict, modality_dims: Mapping[str, int],
                num_classes: int) -> nn.Module:
  """The classifier ``model_config`` describes (fields: see the module docstring)."""
  modalities = tuple(model_config.modalities)
  if not modalities:
    raise ValueError(f"model.modalities is empty; the corpus has: {', '.join(modality_dims)}")
  _check_modalities(modalities, modality_dims, 'model.modalities')
  modality_hidden = model_config.modality_hidden.to_dict()
  _check_modalities(modality_hidden, modality_dims, 'model.modality_hidden')
  lookup('encoder', model_config.encoder, ENCODERS)
  lookup('fusion', model_config.fusion, FUSIONS)
  autoencoder = {field: model_config[field] for field in _AUTOENCODER_FIELDS
                 if field in model_config}
  if autoencoder.get('reconstruction'):
    lookup('reconstruction', autoencoder['reconstruction'], DECODERS)
  options = {field: model_config[config_field] for field, config_field
             in _ENCODER_OPTIONS.get(model_config.encoder, {}).items()}
  return MultimodalClassifier(
      modalities=modalities,
      num_classes=num_classes,
      encoder=model_config.encoder,
      hidden=model_config.hidden,
      modality_hidden=flax.core.FrozenDict(modality_hidden),
      num_layers=model_config.num_layers,
      encoder_options=flax.core.FrozenDict(options),
      fusion=model_config.fusion,
      fusion_hidden=model_config.fusion_hidden,
      dropout=model_config.dropout,
      **autoencoder,
  )
