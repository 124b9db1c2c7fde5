"""The embedded default corpus: multimodal emotion data generated deterministically from a seed.

Generative story (every parameter is derived from ``SyntheticSpec.seed``):

1. **Prototypes.** Each emotion is a point in a ``latent_dim`` space: its word vector from the
   packaged emotion table, centred and reduced to the table's principal components (which keep
   distances between words approximately), placed by a seeded random isometry and scaled by
   ``prototype_scale``. Emotions outside the label set get prototypes the same way, so unseen
   emotions relate to seen ones as their words do.
2. **Latent state.** An utterance has a class y drawn with prior proportional to
   ``rank ** -imbalance``, a speaker s, and a state
   ``z = prototype[y] + offset[s] + state_noise * eps``, speaker offsets being drawn once from
   ``N(0, speaker_scale**2 I)``. Speakers of the three splits are disjoint by default.
3. **Observations.** Modality m sees ``T_m`` frames ``x_t = g_m(u_m + drift_m(t)) + e_t``:
   ``u_m`` is z (but see 4), ``g_m`` a fixed random two-layer tanh network whose outputs are
   standardised to unit variance, ``drift_m`` a smooth temporal nuisance (sinusoids of fixed
   frequencies along fixed latent directions, with phases drawn per utterance), and ``e_t``
   white noise of variance ``1 / snr_m``.
   **Styles.** Every frame of modality m also carries an utterance-constant offset
   ``c_m @ B_m``: ``style_dim`` factors ``c_m ~ N(0, I)`` drawn per utterance and modality,
   independently across modalities (a recording channel, a speaking style, a lexical topic),
   through fixed random loadings ``B_m`` that give every feature variance ``style_scale**2``.
   Averaging frames does not remove them: they are structured nuisance that only a method
   reading other views or unlabelled utterances can tell from the emotion.
4. **Conflicts.** A ``conflict_share`` of utterances has one modality, chosen uniformly, that
   observes another state: 'conflicting' takes the state of another class (uniform over the
   other classes) uttered by an unseen speaker, 'empty' the state of an emotionless utterance
   (the prior mean of the prototypes) by an unseen speaker, 'mixed' either with equal odds.
5. **Multi-label** (``multi_label``, the CMU-MOSEI setting). An utterance carries a set of
   1 + Poisson(``mean_emotions`` - 1) emotions (at most all of them), drawn without
   replacement with odds following the class prior, and its state sums their prototypes:
   ``z = sum_{k in set} prototype[k] + offset[s] + state_noise * eps``. A conflicting modality
   takes the state of a class other than the first emotion drawn.

Only the small per-utterance arrays (labels, speakers, states, lengths, phases) are held in
memory; frames are generated on the fly inside tf.data, their noise from stateless random ops
keyed by the example's index, so example i is identical whenever and wherever it is built.

**Bayes ceiling.** Every feature is a function of z, of the class a conflicting modality was
drawn from, and of noise and styles independent of the label. The optimal classifier that sees these
(speaker offset unknown, hence marginalised: z | y ~ N(prototype[y], (speaker_scale**2 +
state_noise**2) I)) bounds the accuracy of any model on utterances of unseen speakers;
``bayes_accuracy`` estimates it by Monte Carlo. Multi-label corpora report no ceiling: the
optimal decision per emotion would marginalise over every emotion set.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable, Mapping, NoReturn, Sequence

import numpy as np
import tensorflow as tf

from emorec.data import word_vectors
from emorec.data.corpus import MODALITIES, Corpus, ExampleFn, Split

SPLITS = ('train', 'validation', 'test')
CONFLICT_KINDS = ('conflicting', 'empty', 'mixed')
NO_CONFLICT = -1

# Random streams: each purpose draws from its own generator seeded by (seed, purpose, ...).
_PROJECTION, _SPEAKERS, _UTTERANCES, _MAPS, _FRAMES, _BAYES, _STYLES = range(7)
# Periods, in frames, between which the nuisance sinusoids' periods are drawn.
_DRIFT_PERIODS = (8.0, 60.0)
# Population sample used to standardise each modality's map.
_CALIBRATION_SIZE = 4096
# Monte-Carlo samples behind the Bayes ceilings reported in Corpus.info (standard error < 0.2%).
_INFO_SAMPLES = 100_000


@dataclasses.dataclass(frozen=True)
class SyntheticSpec:
  """Every knob of the synthetic corpus; ``SyntheticSpec(**config_dict)`` builds one.

  Attributes:
    seed: root seed; the same spec always yields the same corpus.
    emotions: class names in label order, words of the packaged emotion table.
    num_train: utterances in 'train' (the pipeline decides which share is labelled).
    num_validation: utterances in 'validation'.
    num_test: utterances in 'test'.
    num_speakers: speakers in the whole corpus.
    speaker_independent: whether the splits have disjoint speakers (shared out in proportion
      to split sizes, at least one each) rather than all drawing from every speaker.
    latent_dim: dimension of the latent emotional state.
    prototype_scale: RMS norm of the class prototypes; larger separates classes more.
    speaker_scale: standard deviation of the speaker offsets, per latent dimension.
    state_noise: standard deviation of the per-utterance state noise, per latent dimension.
    imbalance: class prior proportional to ``rank ** -imbalance`` (rank 1 = first emotion);
      0 gives balanced classes.
    text_dim: feature dimension of the text modality.
    audio_dim: feature dimension of the audio modality.
    vision_dim: feature dimension of the vision modality.
    text_snr: signal-to-noise power ratio of each text feature (signal of unit variance).
    audio_snr: same for audio.
    vision_snr: same for vision.
    text_min_length: fewest text frames of an utterance.
    text_max_length: most text frames of an utterance (lengths are uniform in between).
    audio_min_length: fewest audio frames.
    audio_max_length: most audio frames.
    vision_min_length: fewest vision frames.
    vision_max_length: most vision frames.
    map_hidden: width of the hidden layer of each modality's random map.
    map_gain: standard deviation of the map's hidden pre-activations over the population;
      larger saturates the tanh more, making the map more non-linear and harder to learn.
    nuisance_scale: amplitude of each nuisance sinusoid in the latent space (0 disables).
    nuisance_components: number of nuisance sinusoids per modality.
    style_dim: utterance-level style factors per modality (independent across modalities).
    style_scale: standard deviation each feature gets from the style factors (0 disables).
    conflict_share: share of utterances with one modality observing another state.
    conflict_kind: 'conflicting' (another class's state), 'empty' (an emotionless state) or
      'mixed' (half each).
    multi_label: whether utterances carry sets of emotions (examples then hold ``labels``
      [K] in {0, 1} instead of ``label``).
    mean_emotions: mean size of an utterance's emotion set when ``multi_label`` (>= 1).
  """

  seed: int = 0
  emotions: tuple[str, ...] = ('neutral', 'happy', 'sad', 'angry', 'surprised', 'fearful')
  num_train: int = 10_000
  num_validation: int = 1_000
  num_test: int = 1_000
  num_speakers: int = 60
  speaker_independent: bool = True
  latent_dim: int = 32
  prototype_scale: float = 2.5
  speaker_scale: float = 0.5
  state_noise: float = 1.0
  imbalance: float = 0.5
  text_dim: int = 300
  audio_dim: int = 74
  vision_dim: int = 35
  text_snr: float = 1.0
  audio_snr: float = 0.1
  vision_snr: float = 0.04
  text_min_length: int = 6
  text_max_length: int = 20
  audio_min_length: int = 10
  audio_max_length: int = 30
  vision_min_length: int = 10
  vision_max_length: int = 30
  map_hidden: int = 128
  map_gain: float = 3.0
  nuisance_scale: float = 0.5
  nuisance_components: int = 3
  style_dim: int = 16
  style_scale: float = 4.0
  conflict_share: float = 0.05
  conflict_kind: str = 'mixed'
  multi_label: bool = False
  mean_emotions: float = 1.5

  def __post_init__(self):
    if isinstance(self.emotions, str):
      _fail('emotions', 'a sequence of words', self.emotions)
    object.__setattr__(self, 'emotions', tuple(self.emotions))
    _validate(self)

  @property
  def num_classes(self) -> int:
    return len(self.emotions)

  def num_examples(self, split: str) -> int:
    """Number of utterances in ``split``."""
    return {'train': self.num_train, 'validation': self.num_validation, 'test': self.num_test}[
        _check_split(split)]

  def modality_dims(self) -> dict[str, int]:
    """Feature dimension of each modality, in MODALITIES order."""
    return {m: getattr(self, f'{m}_dim') for m in MODALITIES}

  def length_range(self, modality: str) -> tuple[int, int]:
    """(fewest, most) frames of ``modality``."""
    return getattr(self, f'{modality}_min_length'), getattr(self, f'{modality}_max_length')


def _fail(field: str, expectation: str, value: object) -> NoReturn:
  raise ValueError(f'SyntheticSpec.{field} must be {expectation}, got {value!r}.')


def _check_int(spec: SyntheticSpec, field: str, minimum: int) -> None:
  value = getattr(spec, field)
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
    _fail(field, f'an integer >= {minimum}', value)


def _check_float(spec: SyntheticSpec, field: str, *, positive: bool = False,
                 at_most: float = math.inf) -> None:
  value = getattr(spec, field)
  valid = (not isinstance(value, bool) and isinstance(value, (int, float, np.number))
           and math.isfinite(value) and (value > 0 if positive else value >= 0)
           and value <= at_most)
  if not valid:
    bound = '> 0' if positive else '>= 0'
    upper = '' if at_most == math.inf else f' and <= {at_most}'
    _fail(field, f'a finite number {bound}{upper}', value)


def _validate(spec: SyntheticSpec) -> None:
  """Raises a ValueError naming the first field of ``spec`` that is out of range."""
  _check_int(spec, 'seed', 0)
  known = {w.casefold() for w in word_vectors.EMOTION_WORDS}
  for word in spec.emotions:
    if not isinstance(word, str) or word.casefold() not in known:
      _fail('emotions', f'words of the emotion table ({", ".join(word_vectors.EMOTION_WORDS)})',
            word)
  if len(spec.emotions) < 2 or len({w.casefold() for w in spec.emotions}) != len(spec.emotions):
    _fail('emotions', 'at least two distinct words', spec.emotions)
  for field in ('num_train', 'num_validation', 'num_test', 'latent_dim', 'map_hidden',
                'nuisance_components', 'style_dim'):
    _check_int(spec, field, 1)
  if not isinstance(spec.speaker_independent, (bool, np.bool_)):
    _fail('speaker_independent', 'a bool', spec.speaker_independent)
  _check_int(spec, 'num_speakers', len(SPLITS) if spec.speaker_independent else 1)
  for field in ('prototype_scale', 'state_noise', 'map_gain'):
    _check_float(spec, field, positive=True)
  for field in ('speaker_scale', 'imbalance', 'nuisance_scale', 'style_scale'):
    _check_float(spec, field)
  _check_float(spec, 'conflict_share', at_most=1.0)
  if not isinstance(spec.multi_label, (bool, np.bool_)):
    _fail('multi_label', 'a bool', spec.multi_label)
  _check_float(spec, 'mean_emotions', positive=True, at_most=spec.num_classes)
  if spec.mean_emotions < 1:
    _fail('mean_emotions', f'in [1, {spec.num_classes}]', spec.mean_emotions)
  if spec.conflict_kind not in CONFLICT_KINDS:
    _fail('conflict_kind', f'one of {CONFLICT_KINDS}', spec.conflict_kind)
  for modality in MODALITIES:
    _check_int(spec, f'{modality}_dim', 1)
    _check_float(spec, f'{modality}_snr', positive=True)
    _check_int(spec, f'{modality}_min_length', 1)
    low, high = spec.length_range(modality)
    if high < low:
      _fail(f'{modality}_max_length', f'>= {modality}_min_length ({low})', high)


def _check_split(split: str) -> str:
  if split not in SPLITS:
    raise ValueError(f'split must be one of {SPLITS}, got {split!r}.')
  return split


def _rng(spec: SyntheticSpec, *stream: int) -> np.random.Generator:
  """The generator of one random stream of ``spec``."""
  return np.random.default_rng([spec.seed, *stream])


@functools.lru_cache(maxsize=8)
def _table_basis(latent_dim: int) -> np.ndarray:
  """Principal directions [d, r] of the centred emotion table, r = min(latent_dim, rank).

  Each direction's sign is fixed (largest entry positive) so the basis does not depend on the
  linear-algebra library.
  """
  _, singular, directions = np.linalg.svd(word_vectors.centred_emotion_table(),
                                          full_matrices=False)
  rank = int(np.sum(singular > 1e-6 * singular[0]))
  directions = directions[:min(latent_dim, rank)]
  largest = directions[np.arange(len(directions)), np.argmax(np.abs(directions), axis=1)]
  return (directions * np.sign(largest)[:, None]).T


def emotion_prototypes(spec: SyntheticSpec, words: Sequence[str] | None = None) -> np.ndarray:
  """Latent prototypes of ``words`` (default: ``spec.emotions``), float64 [len(words), latent_dim].

  Word vectors are centred on the mean of the whole emotion table, scaled to unit RMS norm,
  reduced to the table's top ``latent_dim`` principal components (which keep most of the
  distances between words) and placed in the latent space by a seeded random isometry, then
  scaled by ``prototype_scale``. Any word of the table has a prototype, seen by the corpus or
  not, and the class geometry (hence the Bayes ceiling) does not depend on the seed.
  """
  words = spec.emotions if words is None else tuple(words)
  directions = _table_basis(spec.latent_dim)
  vectors = word_vectors.centred_emotion_table(words)
  gaussian = _rng(spec, _PROJECTION).normal(size=(spec.latent_dim, directions.shape[1]))
  isometry, _ = np.linalg.qr(gaussian)
  return spec.prototype_scale * (vectors @ directions) @ isometry.T


def class_prior(spec: SyntheticSpec) -> np.ndarray:
  """Class probabilities, proportional to ``rank ** -imbalance``, float64 [K]."""
  weights = np.arange(1, spec.num_classes + 1, dtype=np.float64) ** -spec.imbalance
  return weights / weights.sum()


def _apportion(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
  """Integer counts summing to ``total`` proportional to ``weights`` (largest remainders)."""
  spare = total - minimum * len(weights)
  shares = spare * weights / weights.sum()
  counts = np.floor(shares).astype(np.int64)
  order = np.argsort(counts - shares, kind='stable')
  counts[order[:spare - counts.sum()]] += 1
  return counts + minimum


def split_speakers(spec: SyntheticSpec) -> dict[str, np.ndarray]:
  """Speaker ids each split draws from: disjoint ranges, or all speakers for every split."""
  if not spec.speaker_independent:
    return {split: np.arange(spec.num_speakers) for split in SPLITS}
  sizes = np.array([spec.num_examples(split) for split in SPLITS], np.float64)
  bounds = np.concatenate([[0], np.cumsum(_apportion(sizes, spec.num_speakers, minimum=1))])
  return {split: np.arange(bounds[i], bounds[i + 1]) for i, split in enumerate(SPLITS)}


def speaker_offsets(spec: SyntheticSpec) -> np.ndarray:
  """Latent offset of every speaker, float64 [num_speakers, latent_dim]."""
  noise = _rng(spec, _SPEAKERS).normal(size=(spec.num_speakers, spec.latent_dim))
  return spec.speaker_scale * noise


@dataclasses.dataclass(frozen=True)
class Utterances:
  """The latent side of one split, one row per utterance.

  Attributes:
    labels: [N] int32 classes, or [N, K] int32 {0, 1} emotion sets (multi_label).
    speakers: [N] int32 speaker ids.
    states: [N, latent_dim] latent emotional states z.
    observed_states: [N, M, latent_dim] the state each modality observes (z unless conflicting).
    lengths: [N, M] int32 frames per modality.
    phases: [N, M, nuisance_components] phases of the nuisance sinusoids.
    styles: [N, M, style_dim] style factors of every modality.
    conflict_modality: [N] int32 index into MODALITIES of the modality observing another
      state, NO_CONFLICT if none.
    conflict_label: [N] int32 class of that other state, NO_CONFLICT if none or emotionless.
  """

  labels: np.ndarray
  speakers: np.ndarray
  states: np.ndarray
  observed_states: np.ndarray
  lengths: np.ndarray
  phases: np.ndarray
  styles: np.ndarray
  conflict_modality: np.ndarray
  conflict_label: np.ndarray


def _stratified_labels(rng: np.random.Generator, prior: np.ndarray, count: int) -> np.ndarray:
  """``count`` labels in exact prior proportions (up to rounding), in random order."""
  return rng.permutation(np.repeat(np.arange(len(prior)), _apportion(prior, count)))


def _emotion_sets(rng: np.random.Generator, spec: SyntheticSpec,
                  count: int) -> tuple[np.ndarray, np.ndarray]:
  """``count`` emotion sets [count, K] in {0, 1} and the first emotion drawn for each [count].

  Set sizes are 1 + Poisson(mean_emotions - 1), at most K; the members are drawn without
  replacement with odds following the class prior (the top ranks of prior-weighted Gumbel
  keys).
  """
  sizes = np.minimum(1 + rng.poisson(spec.mean_emotions - 1, size=count), spec.num_classes)
  keys = np.log(class_prior(spec)) + rng.gumbel(size=(count, spec.num_classes))
  ranks = np.argsort(np.argsort(-keys, axis=1), axis=1)
  return (ranks < sizes[:, None]).astype(np.int32), np.argmax(keys, axis=1)


def _fresh_states(rng: np.random.Generator, spec: SyntheticSpec, means: np.ndarray) -> np.ndarray:
  """States around ``means`` [N, latent_dim] by new speakers: offset and state noise drawn anew."""
  scale = math.sqrt(spec.speaker_scale ** 2 + spec.state_noise ** 2)
  return means + scale * rng.normal(size=means.shape)


def _conflicts(rng: np.random.Generator, spec: SyntheticSpec,
               labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(conflict_modality, conflict_label) of each utterance; exactly round(share * N) conflict."""
  count = len(labels)
  chosen = rng.permutation(count)[:round(spec.conflict_share * count)]
  modality = np.full(count, NO_CONFLICT, np.int32)
  modality[chosen] = rng.integers(len(MODALITIES), size=len(chosen))
  conflicting = {'conflicting': chosen, 'empty': chosen[:0], 'mixed': chosen[:len(chosen) // 2]}[
      spec.conflict_kind]
  other = np.full(count, NO_CONFLICT, np.int32)
  shift = rng.integers(1, spec.num_classes, size=len(conflicting))
  other[conflicting] = (labels[conflicting] + shift) % spec.num_classes
  return modality, other


def sample_utterances(spec: SyntheticSpec, split: str) -> Utterances:
  """Draws the labels, speakers, states, lengths, phases and conflicts of ``split``."""
  count = spec.num_examples(split)
  prototypes = emotion_prototypes(spec)
  prior = class_prior(spec)
  rng = _rng(spec, _UTTERANCES, SPLITS.index(split))
  if spec.multi_label:
    labels, first = _emotion_sets(rng, spec, count)
  else:
    labels = first = _stratified_labels(rng, prior, count)
  speakers = rng.choice(split_speakers(spec)[split], size=count)
  states = (_label_means(spec, labels, prototypes) + speaker_offsets(spec)[speakers]
            + spec.state_noise * rng.normal(size=(count, spec.latent_dim)))
  conflict_modality, conflict_label = _conflicts(rng, spec, first)
  observed = np.repeat(states[:, None], len(MODALITIES), axis=1)
  rows = np.flatnonzero(conflict_modality != NO_CONFLICT)
  means = np.where((conflict_label[rows] == NO_CONFLICT)[:, None], prior @ prototypes,
                   prototypes[conflict_label[rows]])
  observed[rows, conflict_modality[rows]] = _fresh_states(rng, spec, means)
  lengths = np.stack([rng.integers(low, high + 1, size=count)
                      for low, high in map(spec.length_range, MODALITIES)], axis=1)
  phases = rng.uniform(0, 2 * np.pi, size=(count, len(MODALITIES), spec.nuisance_components))
  styles = _rng(spec, _STYLES, 0, SPLITS.index(split)).normal(
      size=(count, len(MODALITIES), spec.style_dim))
  return Utterances(
      labels=labels.astype(np.int32), speakers=speakers.astype(np.int32), states=states,
      observed_states=observed, lengths=lengths.astype(np.int32), phases=phases, styles=styles,
      conflict_modality=conflict_modality, conflict_label=conflict_label)


def _state_variance(spec: SyntheticSpec, known_speaker: bool) -> float:
  return spec.state_noise ** 2 + (0.0 if known_speaker else spec.speaker_scale ** 2)


def bayes_predict(spec: SyntheticSpec, states: np.ndarray, conflict_label: np.ndarray, *,
                  known_speaker: bool = False) -> np.ndarray:
  """Classes chosen by the optimal classifier from latent states [N, latent_dim].

  It knows the class of a conflicting modality's state (``conflict_label``, NO_CONFLICT if none)
  and so rules that class out. With ``known_speaker`` the states must have their speaker
  offset removed.
  """
  prototypes = emotion_prototypes(spec)
  # Squared distances to the prototypes, less |state|^2 which is the same for every class.
  distances = np.sum(prototypes ** 2, axis=1) - 2 * states @ prototypes.T
  scores = np.log(class_prior(spec)) - distances / (2 * _state_variance(spec, known_speaker))
  rows = np.flatnonzero(conflict_label != NO_CONFLICT)
  scores[rows, conflict_label[rows]] = -np.inf
  return np.argmax(scores, axis=1)


def bayes_accuracy(spec: SyntheticSpec, num_samples: int = 200_000, *,
                   known_speaker: bool = False) -> float:
  """Monte-Carlo accuracy of the optimal classifier that sees the latent state.

  With ``known_speaker`` False (the default) the speaker offset is marginalised: the ceiling
  for utterances of speakers unseen in training. With True it is given: the ceiling for a
  model that has learnt every speaker's offset.
  """
  if num_samples < 1:
    raise ValueError(f'num_samples must be >= 1, got {num_samples}.')
  rng = _rng(spec, _BAYES)
  prior = class_prior(spec)
  labels = rng.choice(spec.num_classes, size=num_samples, p=prior)
  noise = math.sqrt(_state_variance(spec, known_speaker)) * rng.normal(
      size=(num_samples, spec.latent_dim))
  states = emotion_prototypes(spec)[labels] + noise
  share = spec.conflict_share * {'conflicting': 1.0, 'empty': 0.0, 'mixed': 0.5}[
      spec.conflict_kind]
  shift = rng.integers(1, spec.num_classes, size=num_samples)
  conflict_label = np.where(rng.uniform(size=num_samples) < share,
                            (labels + shift) % spec.num_classes, NO_CONFLICT)
  predictions = bayes_predict(spec, states, conflict_label, known_speaker=known_speaker)
  return float(np.mean(predictions == labels))


@dataclasses.dataclass(frozen=True)
class ModalityMap:
  """Fixed observation model of one modality: frames = tanh(u @ w1 + b1) @ w2 + b2 + noise.

  Attributes:
    w1: [latent_dim, map_hidden]; b1: [map_hidden]; w2: [map_hidden, dim]; b2: [dim], the last
      layer already standardising each output over the population.
    directions: [nuisance_components, latent_dim] nuisance directions, scaled by nuisance_scale.
    frequencies: [nuisance_components] nuisance angular frequencies, radians per frame.
    style_loadings: [style_dim, dim] B_m, the frame offset of each style factor.
    noise_std: standard deviation of the frame noise.
  """

  w1: np.ndarray
  b1: np.ndarray
  w2: np.ndarray
  b2: np.ndarray
  directions: np.ndarray
  frequencies: np.ndarray
  style_loadings: np.ndarray
  noise_std: float


def _drift(directions: np.ndarray, frequencies: np.ndarray, phases: np.ndarray,
           times: np.ndarray) -> np.ndarray:
  """Nuisance offsets [N, latent_dim] at frame ``times`` [N] for phases [N, components]."""
  return np.sin(times[:, None] * frequencies + phases) @ directions


def _label_means(spec: SyntheticSpec, labels: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
  """The state means [N, latent_dim] of labels: a class's prototype, or a set's sum of them."""
  return labels @ prototypes if spec.multi_label else prototypes[labels]


def _population_inputs(rng: np.random.Generator, spec: SyntheticSpec, modality: str,
                       directions: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
  """A sample [_CALIBRATION_SIZE, latent_dim] of map inputs (state plus drift) of ``modality``."""
  if spec.multi_label:
    labels, _ = _emotion_sets(rng, spec, _CALIBRATION_SIZE)
  else:
    labels = rng.choice(spec.num_classes, size=_CALIBRATION_SIZE, p=class_prior(spec))
  states = _fresh_states(rng, spec, _label_means(spec, labels, emotion_prototypes(spec)))
  phases = rng.uniform(0, 2 * np.pi, size=(_CALIBRATION_SIZE, spec.nuisance_components))
  times = rng.integers(0, spec.length_range(modality)[1], size=_CALIBRATION_SIZE)
  return states + _drift(directions, frequencies, phases, times)


def modality_map(spec: SyntheticSpec, modality: str) -> ModalityMap:
  """Draws the observation model of ``modality``, calibrated on a sample of the population.

  Each hidden unit's pre-activation has standard deviation ``map_gain`` (and a random bias of
  half that), and each output feature has mean 0 and variance 1 before noise.
  """
  rng = _rng(spec, _MAPS, MODALITIES.index(modality))
  latent, hidden, dim = spec.latent_dim, spec.map_hidden, spec.modality_dims()[modality]
  directions = rng.normal(size=(spec.nuisance_components, latent))
  directions *= spec.nuisance_scale / np.linalg.norm(directions, axis=1, keepdims=True)
  frequencies = 2 * np.pi / rng.uniform(*_DRIFT_PERIODS, size=spec.nuisance_components)
  inputs = _population_inputs(rng, spec, modality, directions, frequencies)
  weights = rng.normal(size=(latent, hidden))
  projected = inputs @ weights
  mean, std = projected.mean(axis=0), projected.std(axis=0)
  w1 = spec.map_gain * weights / std
  b1 = spec.map_gain * (0.5 * rng.normal(size=hidden) - mean / std)
  w2 = rng.normal(size=(hidden, dim)) / math.sqrt(hidden)
  outputs = np.tanh(inputs @ w1 + b1) @ w2
  mean, std = outputs.mean(axis=0), outputs.std(axis=0)
  snr = getattr(spec, f'{modality}_snr')
  return ModalityMap(w1=w1, b1=b1, w2=w2 / std, b2=-mean / std, directions=directions,
                     frequencies=frequencies, style_loadings=style_loadings(spec, modality),
                     noise_std=1.0 / math.sqrt(snr))


def style_loadings(spec: SyntheticSpec, modality: str) -> np.ndarray:
  """B_m [style_dim, dim]: random loadings whose columns have norm ``style_scale``, so each
  feature's style offset has standard deviation ``style_scale``."""
  loadings = _rng(spec, _STYLES, 1, MODALITIES.index(modality)).normal(
      size=(spec.style_dim, spec.modality_dims()[modality]))
  return spec.style_scale * loadings / np.linalg.norm(loadings, axis=0, keepdims=True)


def _stream_key(spec: SyntheticSpec, split: str, modality: str) -> int:
  """Key of the stateless frame-noise stream of one split and modality."""
  rng = _rng(spec, _FRAMES, SPLITS.index(split), MODALITIES.index(modality))
  return int(rng.integers(2 ** 62))


def _frames_fn(utterances: Utterances, slot: int, mapping: ModalityMap,
               key: int) -> Callable[[tf.Tensor], tf.Tensor]:
  """A traceable function from an index to that utterance's frames [T, dim] in one modality."""
  const = functools.partial(tf.constant, dtype=tf.float32)
  hidden_in = const(utterances.observed_states[:, slot] @ mapping.w1 + mapping.b1)
  drift_in = const(mapping.directions @ mapping.w1)
  phases = const(utterances.phases[:, slot])
  # Each utterance's output bias [N, dim]: the map's bias plus the utterance's style offset.
  biases = const(mapping.b2 + utterances.styles[:, slot] @ mapping.style_loadings)
  lengths = tf.constant(utterances.lengths[:, slot], tf.int32)
  frequencies, w2 = const(mapping.frequencies), const(mapping.w2)
  dim = mapping.w2.shape[1]
  key = tf.constant(key, tf.int64)

  def frames(index: tf.Tensor) -> tf.Tensor:
    length = tf.gather(lengths, index)
    times = tf.range(tf.cast(length, tf.float32))[:, None]
    waves = tf.sin(times * frequencies + tf.gather(phases, index))
    hidden = tf.tanh(tf.gather(hidden_in, index) + tf.matmul(waves, drift_in))
    noise = tf.random.stateless_normal([length, dim], seed=tf.stack([key, index]))
    return tf.matmul(hidden, w2) + tf.gather(biases, index) + mapping.noise_std * noise

  return frames


def make_example_fn(spec: SyntheticSpec, split: str, utterances: Utterances,
                    maps: Mapping[str, ModalityMap]) -> ExampleFn:
  """The split's example function: index -> {modality frames, label (or labels), speaker,
  index}."""
  modality_frames = {
      m: _frames_fn(utterances, slot, maps[m], _stream_key(spec, split, m))
      for slot, m in enumerate(MODALITIES)}
  label_key, label_dtype = ('labels', tf.float32) if spec.multi_label else ('label', tf.int32)
  labels = tf.constant(utterances.labels, label_dtype)
  speakers = tf.constant(utterances.speakers, tf.int32)

  def example_fn(index: tf.Tensor) -> dict[str, tf.Tensor]:
    index = tf.cast(index, tf.int64)
    example = {m: build(index) for m, build in modality_frames.items()}
    example.update({label_key: tf.gather(labels, index)}, speaker=tf.gather(speakers, index),
                   index=index)
    return example

  return example_fn


def make_synthetic_corpus(spec: SyntheticSpec | None = None) -> Corpus:
  """Builds the synthetic corpus of ``spec`` (default: ``SyntheticSpec()``).

  ``info`` holds the class prior, the Bayes ceilings with the speaker unknown
  ('bayes_accuracy') and known ('bayes_accuracy_known_speaker'), and the accuracy of the
  optimal classifier on each split's own utterances ('oracle_accuracy'); a multi-label
  corpus has no ceilings but each emotion's share of training utterances ('emotion_rate').
  """
  spec = SyntheticSpec() if spec is None else spec
  maps = {m: modality_map(spec, m) for m in MODALITIES}
  samples = {split: sample_utterances(spec, split) for split in SPLITS}
  splits = {split: Split(labels=utterances.labels,
                         example_fn=make_example_fn(spec, split, utterances, maps))
            for split, utterances in samples.items()}
  info = {'class_prior': tuple(float(p) for p in class_prior(spec))}
  if spec.multi_label:
    info['emotion_rate'] = tuple(float(r) for r in samples['train'].labels.mean(axis=0))
  else:
    info.update(_ceilings(spec, samples))
  return Corpus(name='synthetic', emotions=spec.emotions, modality_dims=spec.modality_dims(),
                multi_label=spec.multi_label, splits=splits, info=info)


def _ceilings(spec: SyntheticSpec, samples: Mapping[str, Utterances]) -> dict[str, object]:
  """The Bayes ceilings and each split's oracle accuracy of a single-label corpus."""
  oracle = {split: float(np.mean(bayes_predict(spec, u.states, u.conflict_label) == u.labels))
            for split, u in samples.items()}
  return {
      'bayes_accuracy': bayes_accuracy(spec, _INFO_SAMPLES),
      'bayes_accuracy_known_speaker': bayes_accuracy(spec, _INFO_SAMPLES, known_speaker=True),
      'oracle_accuracy': oracle,
  }
