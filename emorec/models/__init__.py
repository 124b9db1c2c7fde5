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
  recurrent_implementation: 'flax' | 'fused' | 'cudnn' (lstm on a CUDA GPU) (gru, lstm;
    optional, default 'flax'; see ``encoders.RecurrentEncoder``).
  recurrent_unroll: recurrent steps per loop iteration of 'fused' (optional, default 1).
  fusion: fusion of the codes: 'concat' | 'attention'.
  fusion_hidden: width of the fused representation (concat: 0 keeps the concatenation).
  dropout: rate inside the encoders and on the fused representation.

Optional fields of the CMDM autoencoders (absent, or code_dim 0 and reconstruction '': the
plain classifier):

  code_dim: width of the common code each modality is projected to; fusion, heads and
    decoders then read it (see ``MultimodalClassifier``).
  reconstruction: what each modality's decoder reconstructs: 'statistics' | 'sequence'.
  decoder_width: hidden width of the decoders.
  decoder_depth: hidden layers of the decoders.

and for contrastive regularization (CR) and its authors' baseline:

  critic_hidden: hidden width of the pair critics; 0 (or absent) builds none.
  critic_pairs: the pairs the critics score: 'all' or e.g. 'audio-text,audio-vision'.
  modality_encoder: ConfigDict {modality: 'spectrogram_cnn' | 'attention_lstm'} replacing
    ``encoder`` for the modalities it names (``modality_encoders.MODALITY_ENCODERS``).

and for the head (absent: 'classifier'):

  head: 'classifier' (dense heads on the fused and on each code) | 'emotion_embedding'
    (MTEE: the codes scored against the emotion word vectors, see ``emotion_embedding``;
    ``build_model`` then needs ``labels``, a ``LabelTable``: see ``emorec.training.labels``).
  shared_modality_head: one dense head for every modality's common code in place of one
    each (needs ``code_dim``; optional, default False).
  emotion_embedding: ConfigDict of the MTEE head: ``map`` (f_a, f_v: 'linear' | 'mlp'),
    ``text_map`` (f_t: 'identity', which needs the text code as wide as the word vectors,
    | 'linear' | 'mlp'), ``map_hidden`` (width of 'mlp' maps), ``similarity`` ('dot' |
    'cosine'), ``temperature`` (of 'cosine'), ``centred`` (score with vectors centred on the
    core emotion words) and ``vectors`` ('' for the packaged lexicon, or a vectors file:
    ``emorec.data.label_vectors``); the last two are read where the label table is built.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import flax.core
import flax.linen as nn
import ml_collections

from emorec.models.autoencoder import DECODERS, Reconstruction
from emorec.models.classifier import MultimodalClassifier
from emorec.models.emotion_embedding import (
    MAPS, SIMILARITIES, EmotionEmbeddingClassifier, LabelTable, with_labels)
from emorec.models.encoders import ENCODERS, make_encoder, masked_mean
from emorec.models.fusion import FUSIONS, make_fusion
from emorec.models.modality_encoders import MODALITY_ENCODERS
from emorec.pairs import parse_pairs
from emorec.registry import lookup

__all__ = [
    'DECODERS', 'ENCODERS', 'FUSIONS', 'EmotionEmbeddingClassifier', 'LabelTable',
    'MultimodalClassifier', 'Reconstruction', 'build_model', 'make_encoder', 'make_fusion',
    'masked_mean', 'with_labels',
]

# Config fields that only some encoders read: {encoder: {encoder field: config field}}.
_RECURRENT_OPTIONS = {
    'bidirectional': 'bidirectional', 'merge': 'merge_directions', 'pooling': 'pooling',
    'unroll': 'recurrent_unroll', 'implementation': 'recurrent_implementation'}
# Encoder options a config may leave out (the encoder's default then applies).
_OPTIONAL_OPTIONS = ('recurrent_unroll', 'recurrent_implementation')
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


def _modality_encoder(model_config: ml_collections.ConfigDict,
                      modality_dims: Mapping[str, int]) -> flax.core.FrozenDict:
  names = model_config.modality_encoder.to_dict() if 'modality_encoder' in model_config else {}
  _check_modalities(names, modality_dims, 'model.modality_encoder')
  for name in names.values():
    lookup('modality encoder', name, MODALITY_ENCODERS)
  return flax.core.FrozenDict(names)


def _critic_fields(model_config: ml_collections.ConfigDict,
                   modalities: tuple[str, ...]) -> dict[str, object]:
  """The classifier's critic fields: none unless ``critic_hidden`` is set."""
  if not model_config.get('critic_hidden'):
    return {}
  pairs = parse_pairs(model_config.critic_pairs, modalities, field='model.critic_pairs')
  return {'critic_pairs': pairs, 'critic_hidden': model_config.critic_hidden}


def _classifier_head(model_config: ml_collections.ConfigDict, modalities: tuple[str, ...],
                     labels: LabelTable | None) -> tuple[type[nn.Module], dict[str, Any]]:
  del modalities, labels
  shared = bool(model_config.get('shared_modality_head'))
  if shared and not model_config.get('code_dim'):
    raise ValueError('model.shared_modality_head scores every modality with one head, which '
                     'needs the codes in one space: set model.common_code=True.')
  return MultimodalClassifier, {'shared_modality_head': shared}


def _emotion_embedding_head(
    model_config: ml_collections.ConfigDict, modalities: tuple[str, ...],
    labels: LabelTable | None) -> tuple[type[nn.Module], dict[str, Any]]:
  if model_config.get('shared_modality_head'):
    raise ValueError("model.shared_modality_head is a 'classifier' head's option; the "
                     "'emotion_embedding' head scores every modality through the word vectors.")
  if labels is None:
    raise ValueError("model.head='emotion_embedding' scores emotions through their word vectors; "
                     'build_model needs labels (emorec.training.labels.model_labels).')
  options = model_config.emotion_embedding
  lookup('label map', options.map, MAPS)
  lookup('label map', options.text_map, MAPS)
  lookup('similarity', options.similarity, dict.fromkeys(SIMILARITIES))
  maps = {m: options.text_map if m == 'text' else options.map for m in modalities}
  return EmotionEmbeddingClassifier, {
      'labels': labels,
      'maps': flax.core.FrozenDict(maps),
      'map_hidden': options.map_hidden,
      'similarity': options.similarity,
      'temperature': options.temperature,
  }


# Each gives the model class of a ``model.head`` and the fields only that class takes.
_HEADS = {'classifier': _classifier_head, 'emotion_embedding': _emotion_embedding_head}


def build_model(model_config: ml_collections.ConfigDict, modality_dims: Mapping[str, int],
                num_classes: int, *, labels: LabelTable | None = None) -> nn.Module:
  """The model ``model_config`` describes (fields: see the module docstring).

  ``labels`` holds the ``num_classes`` emotions in output order and their word vectors; the
  emotion-embedding head scores them through those vectors.
  """
  if labels is not None and len(labels) != num_classes:
    raise ValueError(f'{len(labels)} labels for num_classes={num_classes}.')
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
             in _ENCODER_OPTIONS.get(model_config.encoder, {}).items()
             if config_field in model_config or config_field not in _OPTIONAL_OPTIONS}
  head = lookup('head', model_config.get('head', 'classifier'), _HEADS)
  model_class, head_fields = head(model_config, modalities, labels)
  return model_class(
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
      modality_encoder=_modality_encoder(model_config, modality_dims),
      **autoencoder,
      **_critic_fields(model_config, modalities),
      **head_fields,
  )
