"""Tiny releases in the exact on-disk formats of the real corpora, shared by tests/test_real_*.

Test modules load the fixtures with ``pytest_plugins = ('tests.real_fixtures',)`` and import
the helpers, hence PYTEST_DONT_REWRITE (this module asserts nothing). Feature dimensions are
shrunk (the readers' ``dims`` option says what a file holds).
"""

from __future__ import annotations

import csv
import json
import pathlib
import pickle
from typing import Any, Mapping, Sequence

import h5py
import ml_collections
import numpy as np
import pytest

from emorec.data import loader
from emorec.data.corpus import Corpus
from emorec.data.real import checks, formats, lexical
from emorec.data.real.config import data_config
from emorec.data.real.utterance import Utterance

MELD_HEADER = ('Sr No.', 'Utterance', 'Speaker', 'Emotion', 'Sentiment', 'Dialogue_ID',
               'Utterance_ID', 'Season', 'Episode', 'StartTime', 'EndTime')
# Per release split: (Dialogue_ID, Utterance_ID, Speaker, Emotion, Sentiment).
MELD_ROWS = {
    'train': [(0, 0, 'Joey', 'joy', 'positive'), (0, 1, 'Rachel', 'anger', 'negative'),
              (0, 2, 'Joey', 'neutral', 'neutral'), (1, 0, 'Ross', 'surprise', 'positive'),
              (1, 1, 'Monica', 'disgust', 'negative'), (1, 2, 'Ross', 'sadness', 'negative')],
    'dev': [(0, 0, 'Phoebe', 'fear', 'negative'), (0, 1, 'Chandler', 'neutral', 'neutral')],
    'test': [(0, 0, 'Rachel', 'joy', 'positive'), (0, 1, 'Joey', 'anger', 'negative')],
}
MELD_DIMS = {'glove': 6, 'audio': 5}
SMALL_DIMS = {'text': 4, 'audio': 3, 'vision': 2}


def write_pickle(path: pathlib.Path, obj: Any) -> pathlib.Path:
  """Pickles like the releases did (protocol 2: GLOBAL opcodes, __builtin__ names)."""
  with open(path, 'wb') as file:
    pickle.dump(obj, file, protocol=2)
  return path


def write_meld_csv(directory: pathlib.Path, split: str,
                   rows: Sequence[tuple[Any, ...]]) -> pathlib.Path:
  """One MELD split CSV, UTF-8 with CRLF line ends like the release."""
  path = directory / f'{split}_sent_emo.csv'
  with open(path, 'w', newline='', encoding='utf-8') as file:
    writer = csv.writer(file, lineterminator='\r\n')
    writer.writerow(MELD_HEADER)
    for number, (dialogue, turn, speaker, emotion, sentiment) in enumerate(rows, 1):
      writer.writerow([number, f'Line {turn}, you’re “quoted”.', speaker, emotion, sentiment,
                       dialogue, turn, 1, 1, '00:00:01,000', '00:00:02,500'])
  return path


def meld_keys(split: str) -> list[str]:
  return [f'{dialogue}_{turn}' for dialogue, turn, *_ in MELD_ROWS[split]]


def meld_vectors(dim: int, seed: int) -> list[dict[str, np.ndarray]]:
  """A release feature pickle's content: [train, val, test] dicts of key -> vector [dim]."""
  rng = np.random.default_rng(seed)
  return [{key: rng.normal(size=dim).astype(np.float32) for key in meld_keys(split)}
          for split in MELD_ROWS]


def write_meld_lexical(directory: pathlib.Path, split: str,
                       lengths: Sequence[int] | None = None) -> lexical.LexicalFeatures:
  """Lexical features of one split: utterance i has ``lengths[i]`` tokens (default 2 + i)."""
  keys = meld_keys(split)
  lengths = lengths if lengths is not None else [2 + i for i in range(len(keys))]
  rng = np.random.default_rng(len(keys))
  features = lexical.pack(keys, rng.normal(size=(len(keys), 384)),
                          [rng.normal(size=(n, 384)) for n in lengths], 'test-encoder', 50)
  lexical.write(lexical.path(directory, split), features)
  return features


@pytest.fixture
def meld_dir(tmp_path: pathlib.Path) -> pathlib.Path:
  """MELD CSVs with our lexical features, the GloVe text and the audio pickles, in one place."""
  directory = tmp_path / 'meld'
  directory.mkdir()
  for split, rows in MELD_ROWS.items():
    write_meld_csv(directory, split, rows)
    write_meld_lexical(directory, split)
  write_pickle(directory / 'text_glove_average_emotion.pkl', meld_vectors(MELD_DIMS['glove'], 1))
  write_pickle(directory / 'audio_embeddings_feature_selection_emotion.pkl',
               meld_vectors(MELD_DIMS['audio'], 2))
  return directory


def iemocap_ids(session: int, dialogue: int) -> list[str]:
  """Three turns of one dialogue, alternating female and male speakers."""
  return [f'Ses0{session}F_impro0{dialogue}_{"FMF"[k]}00{k}' for k in range(3)]


def conv_emotion_iemocap(dims: Mapping[str, int] = SMALL_DIMS) -> list[Any]:
  """IEMOCAP_features.pkl's list: 5 sessions x 2 dialogues x 3 turns, session 5 for testing.

  Labels cycle through the six classes (hap, sad, neu, ang, exc, fru).
  """
  rng = np.random.default_rng(3)
  ids, speakers, labels, sentences = {}, {}, {}, {}
  features = {m: {} for m in dims}
  for session in range(1, 6):
    for dialogue in (1, 2):
      vid = f'Ses0{session}F_impro0{dialogue}'
      ids[vid] = iemocap_ids(session, dialogue)
      speakers[vid] = [uid.rsplit('_', 1)[1][0] for uid in ids[vid]]
      labels[vid] = [(session + dialogue + k) % 6 for k in range(3)]
      sentences[vid] = ['Hi.', 'Hello.', 'Bye.']
      for modality, dim in dims.items():
        features[modality][vid] = [rng.normal(size=dim).astype(np.float32) for _ in range(3)]
  train = [vid for vid in ids if not vid.startswith('Ses05')]
  test = [vid for vid in ids if vid.startswith('Ses05')]
  return [ids, speakers, labels, features['text'], features['audio'], features['vision'],
          sentences, train, test]


def conv_emotion_meld(dims: Mapping[str, int] = {'text': 6, 'audio': 5}) -> list[Any]:
  """MELD_features_raw.pkl's list: dialogues 0-2 train, 3 test, two turns each."""
  rng = np.random.default_rng(4)
  vids = [0, 1, 2, 3]
  ids = {v: [0, 1] for v in vids}
  speakers = {v: [np.eye(9)[0], np.eye(9)[1]] for v in vids}
  labels = {v: [v % 7, (v + 3) % 7] for v in vids}
  sentiment = {v: [v % 3, (v + 1) % 3] for v in vids}
  features = {m: {v: rng.normal(size=(2, dim)).astype(np.float32) for v in vids}
              for m, dim in dims.items()}
  return [ids, speakers, labels, features['text'], features['audio'],
          {v: ['a', 'b'] for v in vids}, vids[:3], vids[3:], sentiment]


def mult_iemocap(dims: Mapping[str, int] = SMALL_DIMS, steps: int = 5) -> dict[str, Any]:
  """iemocap_data.pkl's dict: sequences left-padded with zeros to ``steps`` frames (utterance
  i has 2 + i % 3 real frames), one-hot [4, 2] labels, the first audio frame holding -inf."""
  rng = np.random.default_rng(5)
  sizes = {'train': 4, 'valid': 2, 'test': 2}
  data, session = {}, 0
  for split, count in sizes.items():
    part = {m: np.zeros((count, steps, dim), np.float32) for m, dim in dims.items()}
    ids, labels = [], np.zeros((count, 4, 2), np.float32)
    for i in range(count):
      session += 1
      length = 2 + i % 3
      for modality, dim in dims.items():
        part[modality][i, steps - length:] = rng.normal(size=(length, dim)) + 3.0
      ids.append(f'Ses0{(session - 1) % 5 + 1}F_impro01_{"FM"[i % 2]}00{i}')
      labels[i, :, 0] = 1
      labels[i, i % 4] = [0, 1]
    part['audio'][0, steps - 2, 0] = -np.inf
    part.update(labels=labels, id=np.array(ids))
    data[split] = part
  return data


def mult_mosei(dims: Mapping[str, int] = SMALL_DIMS) -> dict[str, Any]:
  """mosei_senti_data.pkl's dict: [N, 1, 1] sentiment scores, ids [N, 3] (video, start, end)."""
  rng = np.random.default_rng(6)
  scores = {'train': [1.5, -2.0, 0.0], 'valid': [0.4], 'test': [-0.2]}
  data = {}
  for split, values in scores.items():
    count = len(values)
    part = {m: rng.normal(size=(count, 3, dim)).astype(np.float32) for m, dim in dims.items()}
    part['labels'] = np.array(values, np.float32).reshape(count, 1, 1)
    part['id'] = np.array([[f'{split}video{i}', '0.0', '1.0'] for i in range(count)])
    data[split] = part
  return data


def write_csd(path: pathlib.Path, root: str,
              videos: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> pathlib.Path:
  """A computational sequence in the CMU-MultimodalSDK layout."""
  with h5py.File(path, 'w') as file:
    group = file.create_group(root)
    for video_id, (features, intervals) in videos.items():
      video = group.create_group(f'data/{video_id}')
      video['features'] = features
      video['intervals'] = intervals
    metadata = group.create_group('metadata')
    metadata['root name'] = root
    metadata['dimension names'] = json.dumps(['d'] * features.shape[1])
  return path


# Labels of CMU-MOSEI videos: per segment (start, end, sentiment, happy, sad, anger, surprise,
# disgust, fear).
MOSEI_SEGMENTS = {
    'videoA': [(0.0, 2.0, 1.0, 2.0, 0, 0, 0.5, 0, 0), (2.0, 4.0, -1.5, 0, 1.0, 1.0, 0, 0, 0)],
    'videoB': [(0.0, 1.0, 0.0, 0, 0, 0, 0, 0, 0)],
    'videoC': [(1.0, 3.0, 2.0, 3.0, 0, 0, 0, 0, 0.3)],
}


def write_mosei_csd(directory: pathlib.Path,
                    dims: Mapping[str, int] = SMALL_DIMS) -> pathlib.Path:
  """The four MOSEI sequences: words every 0.5 s, COVAREP every 0.1 s (its first frame holding
  -inf), FACET every 0.25 s, and the labels, over 4 s per video."""
  rng = np.random.default_rng(7)
  steps = {'text': 0.5, 'audio': 0.1, 'vision': 0.25}
  roots = {'text': 'glove_vectors', 'audio': 'COVAREP', 'vision': 'FACET 4.2'}
  for modality, dim in dims.items():
    starts = np.arange(0.0, 4.0, steps[modality])
    videos = {}
    for video_id in MOSEI_SEGMENTS:
      features = rng.normal(size=(len(starts), dim))
      if modality == 'audio':
        features[0, 0] = -np.inf
      videos[video_id] = (features, np.stack([starts, starts + steps[modality]], axis=1))
    write_csd(directory / formats.mosei.FILES[modality], roots[modality], videos)
  write_csd(directory / formats.mosei.FILES['labels'], 'All Labels',
            {v: (np.array(rows)[:, 2:], np.array(rows)[:, :2])
             for v, rows in MOSEI_SEGMENTS.items()})
  return directory


def write_mosei_folds(directory: pathlib.Path) -> pathlib.Path:
  path = directory / 'folds.json'
  path.write_text(json.dumps({'train': ['videoA', 'videoZ'], 'valid': ['videoB'],
                              'test': ['videoC']}))
  return path


@pytest.fixture
def release_dir(tmp_path: pathlib.Path) -> pathlib.Path:
  """An empty manual directory for a test to write a release into."""
  directory = tmp_path / 'release'
  directory.mkdir()
  return directory


def screened(corpus: str, reader: str, manual_dir: pathlib.Path, policy: str = 'error', *,
             max_array_bytes: int | None = None,
             **options: Any) -> tuple[dict[str, list[Utterance]], checks.Screen]:
  """Every split's admitted utterances, read and screened as the builder does (no TFDS)."""
  release = formats.release_of(corpus, reader, options)
  screen = checks.Screen(release.schema(), policy, tuple(release.zero_neg_inf))
  utterances = {split: [u for u in map(screen.admit, stream) if u is not None]
                for split, stream in release.read(manual_dir, max_array_bytes).items()}
  return utterances, screen


def real_data(tmp_path: pathlib.Path, corpus: str, reader: str, manual_dir: pathlib.Path, *,
              protocol: str, release: Mapping[str, Any] | None = None,
              **fields: Any) -> ml_collections.ConfigDict:
  """``config.data`` of a real corpus, its dataset prepared under tmp_path."""
  return data_config(corpus, reader, manual_dir=str(manual_dir),
                     data_dir=str(tmp_path / 'tfds'), protocol=protocol, release=release,
                     **fields)


def load(tmp_path: pathlib.Path, corpus: str, reader: str, manual_dir: pathlib.Path, *,
         protocol: str, release: Mapping[str, Any] | None = None, **fields: Any) -> Corpus:
  """The corpus through loader.load_corpus, as training loads it."""
  return loader.load_corpus(real_data(tmp_path, corpus, reader, manual_dir, protocol=protocol,
                                      release=release, **fields))
