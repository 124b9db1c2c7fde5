"""Modality-transferable emotion embeddings (MTEE): emotions scored through their word vectors.

Emotion k is its word vector w_k [d_t] in the lexical space, a frozen row of a ``LabelTable``.
A learned map f_m: d_t -> H_m carries the table into the code space of modality m, where the
utterance code h_m scores every emotion: s_m[k] = <h_m, f_m(w_k)> (or their cosine over a
temperature). The logits sum the scores of the modalities an utterance has, each weighted by a
learned beta_m initialised to 1/M. The text map defaults to the identity (h_t then lives in the
word-vector space, so H_t = d_t); a learned linear or MLP text map lifts that constraint.

The label set is data. The table is a field of the module, not a parameter, and no parameter
has an emotion axis, so the parameters trained on one list of emotions score any other list:
``with_labels(model, table)`` rebuilds the model around another table, and an emotion never
seen in training is predicted from its word vector alone. Models receive the vectors as
arrays; ``emorec.training.labels`` looks label words up (``emorec.data.label_vectors``) and
``emorec.training.labels.relabel(model, words)`` swaps a model's words.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Mapping

import flax.core
import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from emorec.models.classifier import Arrays, MultimodalClassifier
from emorec.registry import lookup


@dataclasses.dataclass(frozen=True, eq=False)
class LabelTable:
  """A label set: emotion names and their frozen word vectors.

  Compared and hashed by value, so a module holding one can be a static argument of ``jit``.

  Attributes:
    words: K emotion names, in output order.
    vectors: read-only float32 [K, d_t], row k the word vector of ``words[k]``.
    centred: whether ``vectors`` are centred on the core emotion words of their source
      (``emorec.data.label_vectors``), so that words swapped in get the same treatment.
    source: where the vectors come from: '' for the packaged lexicon, else a vectors file.
  """

  words: tuple[str, ...]
  vectors: np.ndarray
  centred: bool = False
  source: str = ''

  def __post_init__(self):
    vectors = np.array(self.vectors, np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(self.words):
      raise ValueError(f'LabelTable: {len(self.words)} words need vectors [{len(self.words)}, d],'
                       f' got shape {vectors.shape}.')
    vectors.setflags(write=False)
    object.__setattr__(self, 'words', tuple(self.words))
    object.__setattr__(self, 'vectors', vectors)

  def __len__(self) -> int:
    return len(self.words)

  @functools.cached_property
  def _key(self) -> tuple[tuple[str, ...], tuple[int, ...], bytes, bool, str]:
    return self.words, self.vectors.shape, self.vectors.tobytes(), self.centred, self.source

  def __eq__(self, other: object) -> bool:
    return isinstance(other, LabelTable) and self._key == other._key

  def __hash__(self) -> int:
    return hash(self._key)

  def __repr__(self) -> str:
    return f'LabelTable({", ".join(self.words)}; d={self.vectors.shape[1]})'


class IdentityMap(nn.Module):
  """f(w) = w: the modality's codes live in the word-vector space itself.

  Attributes:
    width: the modality's code width, which must equal the word-vector dimension.
    modality: name used in the error message.
  """

  width: int
  modality: str = ''

  def __call__(self, vectors: jnp.ndarray) -> jnp.ndarray:
    if vectors.shape[-1] != self.width:
      raise ValueError(
          f'the identity map needs {self.modality} codes as wide as the word vectors: the codes '
          f'have width {self.width}, the vectors {vectors.shape[-1]}. Make the {self.modality} '
          "code that wide or give it a learned map ('linear' or 'mlp').")
    return vectors


class LinearMap(nn.Module):
  """f(w) = w A + b, A [d_t, width] (the paper's mapping)."""

  width: int

  @nn.compact
  def __call__(self, vectors: jnp.ndarray) -> jnp.ndarray:
    return nn.Dense(self.width, name='dense')(vectors)


class MlpMap(nn.Module):
  """f(w) = gelu(w A1 + b1) A2 + b2, one hidden layer of ``hidden`` units."""

  width: int
  hidden: int = 128

  @nn.compact
  def __call__(self, vectors: jnp.ndarray) -> jnp.ndarray:
    hidden = nn.gelu(nn.Dense(self.hidden, name='hidden')(vectors))
    return nn.Dense(self.width, name='out')(hidden)


MAPS: dict[str, Callable[..., nn.Module]] = {
    'identity': IdentityMap,
    'linear': LinearMap,
    'mlp': MlpMap,
}
SIMILARITIES = ('dot', 'cosine')


def _unit(x: jnp.ndarray) -> jnp.ndarray:
  """Rows of ``x`` scaled to unit L2 norm (zero rows stay zero)."""
  return x / jnp.maximum(jnp.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


def emotion_scores(codes: jnp.ndarray, emotions: jnp.ndarray, similarity: str = 'dot',
                   temperature: float = 1.0) -> jnp.ndarray:
  """Scores [B, K] of codes [B, H] against emotion embeddings [K, H].

  'dot' is the inner product; 'cosine' the cosine similarity divided by ``temperature``.
  """
  if similarity == 'cosine':
    return _unit(codes) @ _unit(emotions).T / temperature
  return codes @ emotions.T


def combine_modalities(scores: Mapping[str, jnp.ndarray], present: Mapping[str, jnp.ndarray],
                       weights: jnp.ndarray) -> jnp.ndarray:
  """Sum over modalities of weights[m] * scores[m] [B, K], absent modalities left out.

  ``weights`` [M] follow the order of ``scores``.
  """
  stacked = jnp.stack(list(scores.values()))
  mask = jnp.stack([present[m] for m in scores]).astype(stacked.dtype)
  return jnp.einsum('m,mb,mbk->bk', weights, mask, stacked)


class EmotionEmbeddingClassifier(MultimodalClassifier):
  """Modality encoders scored against the emotion word vectors mapped into every modality.

  Reuses the ``encode``, ``project`` and ``term_outputs`` stages of ``MultimodalClassifier``
  (so decoders and pair critics serve it too); its fusion and dense heads are never called,
  so they have no parameters. Parameters: ``encoder_<m>``,
  ``map_<m>`` (none for an identity map) and ``modality_weights`` [M] (modalities in
  ``modalities`` order). ``num_classes`` must equal ``len(labels)``.

  Attributes:
    labels: the label set scored (``with_labels`` swaps it).
    maps: kind of f_m per modality, a key of ``MAPS``; modalities it does not name get
      'linear'.
    map_hidden: hidden width of 'mlp' maps.
    similarity: 'dot' (the paper) or 'cosine' (divided by ``temperature``).
    temperature: temperature of the cosine similarity.
  """

  labels: LabelTable = dataclasses.field(kw_only=True)
  maps: Mapping[str, str] = flax.core.FrozenDict()
  map_hidden: int = 128
  similarity: str = 'dot'
  temperature: float = 0.1

  def setup(self):
    super().setup()
    if self.num_classes != len(self.labels):
      raise ValueError(f'num_classes={self.num_classes} but the label table has '
                       f'{len(self.labels)} emotions.')
    lookup('similarity', self.similarity, dict.fromkeys(SIMILARITIES))
    self.label_maps = {m: self._label_map(m) for m in self.modalities}
    self.modality_weights = self.param(
        'modality_weights', nn.initializers.constant(1 / len(self.modalities)),
        (len(self.modalities),))

  @nn.nowrap
  def _label_map(self, modality: str) -> nn.Module:
    kind = self.maps.get(modality, 'linear')
    width = self.code_dim or self.modality_hidden.get(modality, self.hidden)
    options = {'identity': {'modality': modality}, 'mlp': {'hidden': self.map_hidden}}
    return lookup('label map', kind, MAPS)(
        width=width, name=f'map_{modality}', **options.get(kind, {}))

  def embed_labels(self) -> Arrays:
    """The emotion embeddings f_m(W) {m: [K, H_m]} of every modality."""
    vectors = jnp.asarray(self.labels.vectors)
    return {m: label_map(vectors) for m, label_map in self.label_maps.items()}

  def score(self, codes: Mapping[str, jnp.ndarray]) -> Arrays:
    """Per-modality scores {m: [B, K]} of the codes against the emotion embeddings."""
    embeddings = self.embed_labels()
    return {m: emotion_scores(code, embeddings[m], self.similarity, self.temperature)
            for m, code in codes.items()}

  def __call__(self, batch: Mapping[str, jnp.ndarray], *,
               train: bool) -> tuple[jnp.ndarray, dict[str, Arrays]]:
    """``(logits [B, K], aux)``; aux holds ``codes``, ``present``, ``modality_logits``
    (each modality's scores, its own prediction) and the ``term_outputs`` of the parts built."""
    hidden, present = self.encode(batch, train=train)
    codes = self.project(hidden)
    scores = self.score(codes)
    logits = combine_modalities(scores, present, self.modality_weights)
    return logits, {'codes': hidden, 'present': present, 'modality_logits': scores,
                    **self.term_outputs(codes, batch)}


def with_labels(model: EmotionEmbeddingClassifier,
                labels: LabelTable) -> EmotionEmbeddingClassifier:
  """The same model scoring another label set (``emorec.training.labels.relabel`` looks words up).

  Parameters of ``model`` apply unchanged: only the number of outputs changes.
  """
  if not isinstance(model, EmotionEmbeddingClassifier):
    raise TypeError(f'{type(model).__name__} has one output per trained class and cannot score '
                    'other emotions; only an EmotionEmbeddingClassifier can.')
  if not isinstance(labels, LabelTable):
    raise TypeError(f'labels must be a LabelTable, got {type(labels).__name__}; look words up '
                    'with emorec.training.labels.relabel.')
  if labels.vectors.shape[1] != model.labels.vectors.shape[1]:
    raise ValueError(f'the new label vectors have dimension {labels.vectors.shape[1]}, the '
                     f"model's {model.labels.vectors.shape[1]}: use vectors of the same source.")
  return model.clone(labels=labels, num_classes=len(labels))
