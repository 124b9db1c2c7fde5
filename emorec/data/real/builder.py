"""TFDS builders of the real corpora: a release format's utterances, screened, as a dataset.

Every corpus yields the same feature dictionary: per modality float32 frames [T, D], the label
fields of its release ('label': class, 'labels': multi-hot, 'sentiment': class), and the
utterance's 'id', 'speaker' and 'dialogue' strings. Examples keep the release's order. The
screen's counts (utterances dropped by reason, -inf set to 0) are kept in the dataset's
metadata; a split left without any utterance stops the build with those counts. The data are
read from the manual directory only, never downloaded, their arrays under the size cap
``max_array_bytes`` (``emorec.data.limits``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Iterable, Iterator

import numpy as np
import tensorflow_datasets as tfds

from emorec.data.real import checks
from emorec.data.real.formats import Release
from emorec.data.real.utterance import Schema, Utterance

VERSION = '1.0.0'


@dataclasses.dataclass(eq=False)
class ReleaseConfig(tfds.core.BuilderConfig):
  """A builder config: the release reader (with its options), the bad-utterance policy and the
  size cap of any one array (None: ``limits.MAX_ARRAY_BYTES``)."""

  release: Release | None = None
  on_bad_utterance: str = 'error'
  max_array_bytes: int | None = None


def release_config(reader: str, release: Release, on_bad_utterance: str, manual_dir: str,
                   max_array_bytes: int | None = None) -> ReleaseConfig:
  """The config named '{reader}-{digest of the options and manual directory}', so that each
  source and set of options is prepared in its own directory (the cap changes no data: it is
  not part of the name)."""
  options = {'reader': reader, 'release': dataclasses.asdict(release),
             'on_bad_utterance': on_bad_utterance, 'manual_dir': manual_dir}
  text = json.dumps(options, sort_keys=True, default=str)
  digest = hashlib.sha1(text.encode()).hexdigest()[:10]
  return ReleaseConfig(name=f'{reader}-{digest}', description=text, release=release,
                       on_bad_utterance=on_bad_utterance, max_array_bytes=max_array_bytes)


def features_of(schema: Schema) -> tfds.features.FeaturesDict:
  """The feature dictionary of a release with this schema."""
  features = {key: tfds.features.Text() for key in ('id', 'speaker', 'dialogue')}
  for modality, dim in schema.modality_dims.items():
    features[modality] = tfds.features.Tensor(shape=(None, dim), dtype=np.float32)
  for field, label_set in schema.label_sets.items():
    features[field] = (
        tfds.features.Tensor(shape=(len(label_set.classes),), dtype=np.float32)
        if label_set.multi_label else tfds.features.ClassLabel(names=label_set.classes))
  return tfds.features.FeaturesDict(features)


def example_of(utterance: Utterance) -> dict[str, Any]:
  return {'id': utterance.id, 'speaker': utterance.speaker, 'dialogue': utterance.dialogue,
          **utterance.features, **utterance.labels}


class _ReleaseBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """Builds a corpus from the release its ReleaseConfig names."""

  VERSION = tfds.core.Version(VERSION)

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    return tfds.core.DatasetInfo(
        builder=self, description=f'{self.name} from {config.description}',
        features=features_of(config.release.schema()), disable_shuffling=True,
        metadata=tfds.core.MetadataDict())

  def _split_generators(self, dl_manager: tfds.download.DownloadManager
                        ) -> dict[str, Iterator[tuple[str, dict[str, Any]]]]:
    config = self.builder_config
    screen = checks.Screen(config.release.schema(), config.on_bad_utterance,
                           tuple(config.release.zero_neg_inf))
    streams = config.release.read(dl_manager.manual_dir, config.max_array_bytes)
    return {split: self._generate_examples(f'{dl_manager.manual_dir}: the {split} split', stream,
                                           screen)
            for split, stream in streams.items()}

  def _generate_examples(self, where: str, stream: Iterable[Utterance | checks.BadUtterance],
                         screen: checks.Screen) -> Iterator[tuple[str, dict[str, Any]]]:
    admitted = 0
    for item in stream:
      utterance = screen.admit(item)
      if utterance is not None:
        admitted += 1
        yield utterance.id, example_of(utterance)
    if not admitted:
      raise ValueError(f'{where} has no utterance left (dropped so far, by reason: '
                       f'{dict(screen.dropped) or "none"}), expected at least one.')
    self.info.metadata.update(screen.report())


class Iemocap(_ReleaseBuilder):
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put one IEMOCAP release in the manual directory (data.manual_dir): the Multimodal-Transformer
  aligned pickle iemocap_data.pkl (reader 'mult'), or the conv-emotion IEMOCAP_features.pkl
  (reader 'conv_emotion'). IEMOCAP is licensed by USC SAIL: https://sail.usc.edu/iemocap/.
  """


class Meld(_ReleaseBuilder):
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the MELD release's {train,dev,test}_sent_emo.csv in the manual directory (reader 'csv'),
  and the features in data.release.features_dir: our lexical features (train.npz, dev.npz,
  test.npz from launch/extract_meld_text.py), text_glove_average_emotion.pkl,
  audio_embeddings_feature_selection_emotion.pkl; or the conv-emotion MELD_features_raw.pkl
  (reader 'conv_emotion'). https://affective-meld.github.io/
  """


class Mosei(_ReleaseBuilder):
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the CMU-MOSEI computational sequences CMU_MOSEI_TimestampedWordVectors.csd,
  CMU_MOSEI_COVAREP.csd, CMU_MOSEI_VisualFacet42.csd and CMU_MOSEI_Labels.csd (and optionally
  folds.json, see emorec/data/real/mosei.py) in the manual directory (reader 'csd'), or the
  Multimodal-Transformer mosei_senti_data.pkl (reader 'mult'). Get them with the
  CMU-MultimodalSDK: https://github.com/CMU-MultiComp-Lab/CMU-MultimodalSDK
  """


BUILDERS = {'iemocap': Iemocap, 'meld': Meld, 'mosei': Mosei}
