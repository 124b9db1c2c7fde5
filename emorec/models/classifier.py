"""The multimodal classifier: modality encoders, fusion, a fused head and per-modality heads.

Optionally (CMDM) each modality's code is projected to a common dimension and decoded back to
its input by an autoencoder decoder, and (CR) pair critics score every pairing of two
modalities' codes in the batch.
"""

from __future__ import annotations

from typing import Any, Mapping

import flax.core
import flax.linen as nn
import jax.numpy as jnp

from emorec.models.autoencoder import Reconstruction, make_decoder
from emorec.models.critic import PairCritic
from emorec.models.encoders import make_encoder
from emorec.models.fusion import make_fusion
from emorec.models.modality_encoders import MODALITY_ENCODERS
from emorec.pairs import Pair, pair_name

Arrays = dict[str, jnp.ndarray]


class MultimodalClassifier(nn.Module):
  """Encodes each modality, fuses the codes, and classifies the fused and each single code.

  The stages are methods: ``encode`` (batch -> codes, present), ``project``, ``fuse``,
  ``classify`` and ``reconstruct``. A model built on this one (another head) extends ``setup``
  and reuses the stages, also alone through ``apply(..., method=...)``. Parameters are named
  ``encoder_<modality>``, ``fusion``, ``head_fused`` and ``head_<modality>`` (or one
  ``head_modalities``, with ``shared_modality_head``); with ``code_dim`` also
  ``project_<modality>``, with ``reconstruction`` also ``decoder_<modality>``, with
  ``critic_pairs`` also ``critic_<a>_<b>``.

  With ``code_dim`` > 0 each encoder output h_m is projected linearly to z_m [B, code_dim],
  a space common to all modalities, and z_m replaces h_m downstream: the fusion, the
  per-modality heads (so that a modality alone still gets a prediction from its z_m) and the
  decoders read z_m. Without it they read h_m and the model is the plain classifier.

  Attributes:
    modalities: modalities read from the batch, each as ``batch[m]`` [B, T_m, D_m] and
      ``batch[f'{m}_mask']`` [B, T_m] (1 = real frame); an all-zero mask marks it absent.
    num_classes: number of emotion classes K.
    encoder: modality encoder, a key of ``encoders.ENCODERS``.
    hidden: code width of each modality.
    modality_hidden: code widths overriding ``hidden`` for the modalities they name.
    num_layers: layers of each encoder.
    encoder_options: the encoder's other fields (e.g. ``merge``, ``pooling``, ``num_heads``).
    fusion: fusion of the codes, a key of ``fusion.FUSIONS``.
    fusion_hidden: width of the fused representation.
    dropout: rate inside the encoders and on the fused representation.
    code_dim: width of the common code z_m; 0 reads the encoder outputs directly.
    reconstruction: what each modality's decoder reconstructs, a key of
      ``autoencoder.DECODERS`` ('statistics' | 'sequence'); '' for no decoders.
    decoder_width: hidden width of the decoders.
    decoder_depth: hidden layers of the decoders.
    modality_encoder: encoders of ``modality_encoders.MODALITY_ENCODERS`` replacing
      ``encoder`` for the modalities they name (built with the modality's code width only).
    critic_pairs: modality pairs (a, b) whose codes a ``PairCritic`` scores; () for none.
    critic_hidden: hidden width of the critics.
    shared_modality_head: one head (``head_modalities``) scores every modality's code in
      place of one ``head_<m>`` each; it needs every code as wide (``code_dim``).
  """

  modalities: tuple[str, ...]
  num_classes: int
  encoder: str = 'lstm'
  hidden: int = 128
  modality_hidden: Mapping[str, int] = flax.core.FrozenDict()
  num_layers: int = 1
  encoder_options: Mapping[str, Any] = flax.core.FrozenDict()
  fusion: str = 'concat'
  fusion_hidden: int = 128
  dropout: float = 0.0
  code_dim: int = 0
  reconstruction: str = ''
  decoder_width: int = 128
  decoder_depth: int = 1
  modality_encoder: Mapping[str, str] = flax.core.FrozenDict()
  critic_pairs: tuple[Pair, ...] = ()
  critic_hidden: int = 64
  shared_modality_head: bool = False

  @nn.nowrap
  def make_modality_encoder(self, m: str) -> nn.Module:
    """``encoder_<m>``: ``modality_encoder[m]`` if it names ``m``, else ``encoder``."""
    hidden = self.modality_hidden.get(m, self.hidden)
    if m in self.modality_encoder:
      return MODALITY_ENCODERS[self.modality_encoder[m]](hidden=hidden, name=f'encoder_{m}')
    return make_encoder(self.encoder, hidden=hidden, num_layers=self.num_layers,
                        dropout=self.dropout, name=f'encoder_{m}', **self.encoder_options)

  @nn.nowrap
  def make_modality_heads(self) -> dict[str, nn.Module]:
    """{m: the head of z_m}: ``head_<m>`` each, or one ``head_modalities`` for all."""
    if self.shared_modality_head:
      shared = nn.Dense(self.num_classes, name='head_modalities')
      return dict.fromkeys(self.modalities, shared)
    return {m: nn.Dense(self.num_classes, name=f'head_{m}') for m in self.modalities}

  def setup(self):
    self.encoders = {m: self.make_modality_encoder(m) for m in self.modalities}
    self.fuser = make_fusion(self.fusion, hidden=self.fusion_hidden, dropout=self.dropout,
                             name='fusion')
    self.heads = {'fused': nn.Dense(self.num_classes, name='head_fused'),
                  **self.make_modality_heads()}
    if self.code_dim:
      self.projections = {m: nn.Dense(self.code_dim, name=f'project_{m}')
                          for m in self.modalities}
    if self.reconstruction:
      self.decoders = {m: make_decoder(self.reconstruction, width=self.decoder_width,
                                       depth=self.decoder_depth, name=f'decoder_{m}')
                       for m in self.modalities}
    self.critics = {pair_name((a, b)): PairCritic(self.critic_hidden, name=f'critic_{a}_{b}')
                    for a, b in self.critic_pairs}

  def encode(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> tuple[Arrays, Arrays]:
    """Codes {m: [B, H_m]} and presence {m: [B] bool} of every modality."""
    codes, present = {}, {}
    for m, encoder in self.encoders.items():
      if m not in batch or f'{m}_mask' not in batch:
        raise ValueError(f"the batch lacks '{m}' or '{m}_mask'; it has: {', '.join(batch)}")
      mask = batch[f'{m}_mask']
      codes[m] = encoder(batch[m], mask, train=train)
      present[m] = jnp.any(mask > 0, axis=-1)
    return codes, present

  def project(self, codes: Mapping[str, jnp.ndarray]) -> Arrays:
    """Common codes {m: [B, code_dim]}; the codes themselves when ``code_dim`` is 0."""
    if not self.code_dim:
      return dict(codes)
    return {m: self.projections[m](code) for m, code in codes.items()}

  def fuse(self, codes: Mapping[str, jnp.ndarray], present: Mapping[str, jnp.ndarray], *,
           train: bool) -> jnp.ndarray:
    """The fused representation [B, fusion_hidden]."""
    return self.fuser(codes, present, train=train)

  def classify(self, codes: Mapping[str, jnp.ndarray],
               fused: jnp.ndarray) -> tuple[jnp.ndarray, Arrays]:
    """Logits [B, K] of the fused representation and {m: [B, K]} of each code."""
    modality_logits = {m: self.heads[m](code) for m, code in codes.items()}
    return self.heads['fused'](fused), modality_logits

  def reconstruct(self, codes: Mapping[str, jnp.ndarray],
                  batch: Mapping[str, jnp.ndarray]) -> dict[str, Reconstruction]:
    """Each modality's input reconstructed from its code, with the target and its mask."""
    return {m: self.decoders[m](code, batch[m], batch[f'{m}_mask'])
            for m, code in codes.items()}

  def score_pairs(self, codes: Mapping[str, jnp.ndarray]) -> Arrays:
    """{'a-b': [B, B]}: each critic's score of (code_a^i, code_b^j) for every i and j."""
    return {pair_name((a, b)): self.critics[pair_name((a, b))](codes[a], codes[b])
            for a, b in self.critic_pairs}

  def __call__(self, batch: Mapping[str, jnp.ndarray], *,
               train: bool) -> tuple[jnp.ndarray, dict[str, Any]]:
    """``(logits [B, K], aux)``.

    aux holds ``codes`` (encoder outputs h_m), ``present``, ``fused`` and
    ``modality_logits``; with ``code_dim`` also ``common_codes`` (z_m), with
    ``reconstruction`` also ``reconstructions`` ({m: Reconstruction}), with ``critic_pairs``
    also ``pair_scores`` ({'a-b': [B, B]} of the codes fusion reads).
    """
    hidden, present = self.encode(batch, train=train)
    codes = self.project(hidden)
    fused = self.fuse(codes, present, train=train)
    logits, modality_logits = self.classify(codes, fused)
    return logits, {'codes': hidden, 'present': present, 'fused': fused,
                    'modality_logits': modality_logits, **self.term_outputs(codes, batch)}

  def term_outputs(self, codes: Mapping[str, jnp.ndarray],
                   batch: Mapping[str, jnp.ndarray]) -> dict[str, Any]:
    """What objective terms read of the parts that are built: ``common_codes`` (with
    ``code_dim``), ``reconstructions`` (with ``reconstruction``) and ``pair_scores`` (with
    ``critic_pairs``)."""
    outputs = {}
    if self.code_dim:
      outputs['common_codes'] = codes
    if self.reconstruction:
      outputs['reconstructions'] = self.reconstruct(codes, batch)
    if self.critic_pairs:
      outputs['pair_scores'] = self.score_pairs(codes)
    return outputs
