"""Hostile and malformed release files: each gets an error naming the file at fault and what
was expected, never a bare low-level exception, a silent acceptance or a huge allocation.

Every case of ``CASES`` spoils one file of a tiny release (tests/real_fixtures.py) and names
that file and the phrases its error must hold. Memory bombs (sizes declared far beyond what a
file holds) are read in one child process under an address-space limit, so that a regression
fails its case instead of exhausting the machine.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import json
import os
import pathlib
import pickle
import struct
import subprocess
import sys
import zipfile
from typing import Any, Callable

import h5py
import numpy as np
import pytest

from emorec.data import safe_pickle
from emorec.data.real import checks, lexical, mosei
from tests import real_fixtures as files

pytest_plugins = ('tests.real_fixtures',)

ROOT = pathlib.Path(__file__).resolve().parents[1]
AUDIO = 'audio_embeddings_feature_selection_emotion.pkl'
HUGE = 10 ** 10
MULT_FILES = {'iemocap': 'iemocap_data.pkl', 'mosei': 'mosei_senti_data.pkl'}


@dataclasses.dataclass(frozen=True)
class Spoiled:
  """A spoiled release: how to read it, the file at fault, what its error must say."""

  read: Callable[[], Any]
  at_fault: pathlib.Path
  expected: tuple[str, ...]


# name -> (fixture giving the release directory, function spoiling it).
CASES: dict[str, tuple[str, Callable[[pathlib.Path], Spoiled]]] = {}


def case(fixture: str) -> Callable[[Callable[[pathlib.Path], Spoiled]], Any]:
  def register(spoil: Callable[[pathlib.Path], Spoiled]) -> Callable[[pathlib.Path], Spoiled]:
    CASES[spoil.__name__] = (fixture, spoil)
    return spoil
  return register


def _replaced(data: bytes, placeholder: str, opcodes: bytes) -> bytes:
  """A protocol-2 pickle with the string ``placeholder`` replaced by raw ``opcodes``."""
  encoded = placeholder.encode()
  target = b'X' + struct.pack('<I', len(encoded)) + encoded
  assert data.count(target) == 1
  return data.replace(target, opcodes)


def _nested(depth: int) -> bytes:
  """Opcodes of a list nested ``depth`` deep around the string 'a'."""
  return b']' * depth + b'X\x01\x00\x00\x00a' + b'a' * depth


# ---------------------------------------------------------------------------------------------
# Pickles: the MulT and conv-emotion releases, MELD's feature pickles, the unpickler itself.


def _write(path: pathlib.Path, release: Any) -> pathlib.Path:
  """The release pickled as the releases were, or raw pickle bytes."""
  if isinstance(release, bytes):
    path.write_bytes(release)
    return path
  return files.write_pickle(path, release)


def _mult(directory: pathlib.Path, release: Any, corpus: str = 'iemocap',
          **options: Any) -> tuple[Callable[[], Any], pathlib.Path]:
  path = _write(directory / MULT_FILES[corpus], release)
  return (lambda: files.screened(corpus, 'mult', directory, dims=files.SMALL_DIMS, **options),
          path)


def _conv(directory: pathlib.Path, release: Any) -> tuple[Callable[[], Any], pathlib.Path]:
  path = _write(directory / 'IEMOCAP_features.pkl', release)
  return lambda: files.screened('iemocap', 'conv_emotion', directory, dims=files.SMALL_DIMS), path


@case('release_dir')
def mult_deeply_nested_id(directory):
  release = files.mult_iemocap()
  release['train']['id'] = [str(uid) for uid in release['train']['id']]
  release['train']['id'][1] = 'PLACEHOLDER'
  data = _replaced(pickle.dumps(release, protocol=2), 'PLACEHOLDER', _nested(100_000))
  read, path = _mult(directory, data)
  return Spoiled(read, path, ("utterance 'train row 1'", 'expected a string or an integer'))


@case('release_dir')
def conv_emotion_deeply_nested_id(directory):
  release = files.conv_emotion_iemocap()
  release[0]['Ses01F_impro02'][2] = 'PLACEHOLDER'
  data = _replaced(pickle.dumps(release, protocol=2), 'PLACEHOLDER', _nested(100_000))
  read, path = _conv(directory, data)
  return Spoiled(read, path, ("videoIDs['Ses01F_impro02'] entry 2",
                              'expected a string or an integer'))


@case('release_dir')
def mult_nul_in_id(directory):
  release = files.mult_iemocap()
  release['train']['id'][1] = 'Ses02F_impro01_M\x00001'
  read, path = _mult(directory, release)
  return Spoiled(read, path, ('holds the control character U+0000', 'expected printable text'))


@case('release_dir')
def mult_nan_in_label_pair(directory):
  release = files.mult_iemocap()
  release['valid']['labels'][1, 1] = [0, np.nan]
  read, path = _mult(directory, release)
  return Spoiled(read, path, ("utterance 'Ses01F_impro01_M001'", 'hold NaN or inf',
                              'expected finite [4, 2] pairs'))


@case('release_dir')
def mult_sentiment_out_of_range(directory):
  release = files.mult_mosei()
  release['train']['labels'][1] = 9.0
  read, path = _mult(directory, release, 'mosei')
  return Spoiled(read, path, ("utterance 'trainvideo1_0.0_1.0'", 'sentiment score [9.0]',
                              'expected finite values in [-3, 3]'))


@case('release_dir')
def mult_duplicate_id(directory):
  release = files.mult_iemocap()
  release['test']['id'][1] = release['valid']['id'][0]
  read, path = _mult(directory, release)
  return Spoiled(read, path, (f"utterance '{release['valid']['id'][0]}'",
                              'expected unique utterance ids'))


@case('release_dir')
def mult_string_features(directory):
  release = files.mult_iemocap()
  release['train']['vision'] = release['train']['vision'].astype(str)
  read, path = _mult(directory, release)
  return Spoiled(read, path, ("utterance 'Ses01F_impro01_F000'", 'vision features are a <U',
                              'expected numbers'))


@case('release_dir')
def mult_split_without_rows(directory):
  release = files.mult_iemocap()
  release['valid'] = {key: value[:0] for key, value in release['valid'].items()}
  read, path = _mult(directory, release)
  return Spoiled(read, path, ("split 'valid' has 0 ids and 0 labels", 'at least one'))


@case('release_dir')
def conv_emotion_string_features(directory):
  release = files.conv_emotion_iemocap()
  release[4]['Ses02F_impro01'][1] = 'loud'
  read, path = _conv(directory, release)
  return Spoiled(read, path, ("utterance 'Ses02F_impro01_M001'", "audio features are a str",
                              'expected numbers'))


@case('release_dir')
def conv_emotion_control_character_in_id(directory):
  release = files.conv_emotion_iemocap()
  release[0]['Ses03F_impro01'][0] = 'Ses03F_impro01_F\x1b000'
  read, path = _conv(directory, release)
  return Spoiled(read, path, ('holds the control character U+001B', 'expected printable text'))


@case('release_dir')
def conv_emotion_empty_test_split(directory):
  release = files.conv_emotion_iemocap()
  release[8] = []
  read, path = _conv(directory, release)
  return Spoiled(read, path, ('testVid is []', 'expected a non-empty list or set of dialogue'))


@case('release_dir')
def conv_emotion_dialogue_in_both_splits(directory):
  release = files.conv_emotion_iemocap()
  release[8].append(release[7][0])
  read, path = _conv(directory, release)
  return Spoiled(read, path, ("utterance 'Ses01F_impro01_F000'", 'expected unique utterance ids'))


@case('release_dir')
def conv_emotion_bool_label(directory):
  release = files.conv_emotion_iemocap()
  release[2]['Ses04F_impro02'][0] = True
  read, path = _conv(directory, release)
  return Spoiled(read, path, ("utterance 'Ses04F_impro02_F000'", 'label is True',
                              'expected a class index in [0, 6)'))


@case('meld_dir')
def meld_pickle_keys_collide(directory):
  vectors = files.meld_vectors(files.MELD_DIMS['audio'], 2)
  vectors[0][b'0_1'] = vectors[0]['0_1']
  path = files.write_pickle(directory / AUDIO, vectors)
  return Spoiled(lambda: files.screened('meld', 'csv', directory, audio=True,
                                        dims={'audio': files.MELD_DIMS['audio']}),
                 path, ("train key '0_1' appears at rows 1 and 6", 'expected unique ids'))


@case('release_dir')
def mult_array_above_the_cap(directory):
  read, path = _mult(directory, files.mult_iemocap(), max_array_bytes=100)
  return Spoiled(read, path, ('an array of shape [4, 5, 4] and dtype float32 declares 320 bytes',
                              'above the cap of 100 bytes', 'raise data.max_array_bytes'))


@case('release_dir')
def pickle_object_array_shorter_than_its_shape(directory):
  data = pickle.dumps({'ids': np.array(['a', 'b'], dtype=object)}, protocol=2)
  assert data.count(b'K\x02\x85') == 1
  path = directory / 'objects.pkl'
  path.write_bytes(data.replace(b'K\x02\x85', b'K\x05\x85'))
  return Spoiled(lambda: safe_pickle.load(path), path,
                 ('an array of shape [5] and dtype object holds 2 elements',
                  'expected 5 elements'))


@case('release_dir')
def pickle_calls_ndarray(directory):
  path = directory / 'alloc.pkl'
  path.write_bytes(b'\x80\x02cnumpy\nndarray\nK\x05\x85R.')
  return Spoiled(lambda: safe_pickle.load(path), path,
                 ('refused to call numpy.ndarray', 'may only name the type'))


@case('release_dir')
def pickle_truncated_inside_an_array(directory):
  data = pickle.dumps(files.mult_iemocap(), protocol=4)
  read, path = _mult(directory, data[:len(data) // 2])
  return Spoiled(read, path, ('expected a complete pickle', 'truncated'))


# ---------------------------------------------------------------------------------------------
# CMU-MultimodalSDK computational sequences (.csd, HDF5), labels and folds.


def _mosei(directory: pathlib.Path, policy: str = 'error', **options: Any) -> Callable[[], Any]:
  return lambda: files.screened('mosei', 'csd', directory, policy, dims=files.SMALL_DIMS,
                                **options)


def _spoil_csd(directory: pathlib.Path, role: str, video: str,
               edit: Callable[[h5py.Group], None]) -> pathlib.Path:
  """The MOSEI release with its folds, ``edit`` applied to one video's group of a sequence."""
  files.write_mosei_csd(directory)
  files.write_mosei_folds(directory)
  path = directory / mosei.FILES[role]
  with h5py.File(path, 'r+') as file:
    edit(file[next(iter(file))]['data'][video])
  return path


def _set_interval(row: int, value: list[float]) -> Callable[[h5py.Group], None]:
  def edit(group: h5py.Group) -> None:
    group['intervals'][row] = value
  return edit


@case('release_dir')
def csd_not_hdf5(directory):
  files.write_mosei_csd(directory)
  path = directory / mosei.FILES['audio']
  path.write_bytes(b'COVAREP features, honest\n' * 10)
  return Spoiled(_mosei(directory), path, ('not an HDF5 file',
                                           'expected a computational sequence in'))


@case('release_dir')
def csd_truncated(directory):
  files.write_mosei_csd(directory)
  path = directory / mosei.FILES['vision']
  data = path.read_bytes()
  path.write_bytes(data[:len(data) // 2])
  return Spoiled(_mosei(directory), path, ('unreadable',))


@case('release_dir')
def csd_string_features(directory):
  def edit(group):
    shape = group['features'].shape
    del group['features']
    group['features'] = np.full(shape, b'0.5')
  path = _spoil_csd(directory, 'text', 'videoA', edit)
  return Spoiled(_mosei(directory), path, ('/glove_vectors/data/videoA/features holds |S3 values',
                                           'expected numbers'))


@case('release_dir')
def csd_reversed_frame_interval(directory):
  path = _spoil_csd(directory, 'audio', 'videoB', _set_interval(3, [0.4, 0.3]))
  return Spoiled(_mosei(directory), path, ("utterance 'videoB[0]'", 'interval 3 is [0.4, 0.3]',
                                           'expected start <= end'))


@case('release_dir')
def csd_nan_frame_interval(directory):
  path = _spoil_csd(directory, 'vision', 'videoA', _set_interval(2, [np.nan, 0.75]))
  return Spoiled(_mosei(directory), path, ("utterance 'videoA[0]'", 'interval 2 is [nan, 0.75]',
                                           'expected finite start and end times'))


@case('release_dir')
def csd_decreasing_frame_starts(directory):
  path = _spoil_csd(directory, 'text', 'videoC', _set_interval(4, [0.2, 0.4]))
  return Spoiled(_mosei(directory), path, ("utterance 'videoC[0]'", 'interval 4 starts at 0.2',
                                           'expected non-decreasing starts'))


@case('release_dir')
def csd_reversed_label_segment(directory):
  path = _spoil_csd(directory, 'labels', 'videoB', _set_interval(0, [1.0, 0.0]))
  return Spoiled(_mosei(directory), path, ("segment 0 of video 'videoB'",
                                           'expected start <= end'))


@case('release_dir')
def csd_emotion_intensity_above_three(directory):
  def edit(group):
    group['features'][0, 1] = 9.0
  path = _spoil_csd(directory, 'labels', 'videoA', edit)
  return Spoiled(_mosei(directory), path, ("utterance 'videoA[0]'", 'hold 9.0',
                                           'expected finite values in [0, 3]'))


@case('release_dir')
def csd_negative_emotion_intensity(directory):
  def edit(group):
    group['features'][0, 6] = -0.5
  path = _spoil_csd(directory, 'labels', 'videoC', edit)
  return Spoiled(_mosei(directory), path, ('hold -0.5', 'expected finite values in [0, 3]'))


@case('release_dir')
def csd_sentiment_out_of_range(directory):
  def edit(group):
    group['features'][1, 0] = -5.0
  path = _spoil_csd(directory, 'labels', 'videoA', edit)
  return Spoiled(_mosei(directory), path, ("utterance 'videoA[1]'", 'sentiment [-5.0]',
                                           'expected finite values in [-3, 3]'))


@case('release_dir')
def csd_nan_label(directory):
  def edit(group):
    group['features'][0, 0] = np.nan
  path = _spoil_csd(directory, 'labels', 'videoB', edit)
  return Spoiled(_mosei(directory), path, ("utterance 'videoB[0]'",
                                           'expected finite values in [-3, 3]'))


@case('release_dir')
def csd_features_behind_a_soft_link(directory):
  def edit(group):
    del group['features']
    group['features'] = h5py.SoftLink('/COVAREP/data/videoB/features')
  path = _spoil_csd(directory, 'audio', 'videoA', edit)
  return Spoiled(_mosei(directory), path, ('/COVAREP/data/videoA/features is a SoftLink',
                                           'expected a dataset stored in this file'))


@case('release_dir')
def csd_features_in_an_external_file(directory):
  def edit(group):
    shape = group['features'].shape
    del group['features']
    (directory / 'elsewhere.bin').write_bytes(bytes(8 * shape[0] * shape[1]))
    group.create_dataset('features', shape=shape, dtype='<f8',
                         external=[(str(directory / 'elsewhere.bin'), 0, h5py.h5f.UNLIMITED)])
  path = _spoil_csd(directory, 'vision', 'videoB', edit)
  return Spoiled(_mosei(directory), path, ('has its data in other files',
                                           'expected data stored in this file'))


@case('release_dir')
def csd_dataset_above_the_cap(directory):
  files.write_mosei_csd(directory)
  files.write_mosei_folds(directory)
  path = directory / mosei.FILES['audio']
  return Spoiled(_mosei(directory, max_array_bytes=500), path,
                 ('/COVAREP/data/videoA/features of shape [40, 3] and dtype float64 declares 960',
                  'above the cap of 500 bytes', 'raise data.max_array_bytes'))


def _folds(directory: pathlib.Path, text: str | bytes) -> pathlib.Path:
  files.write_mosei_csd(directory)
  path = directory / 'folds.json'
  if isinstance(text, str):
    path.write_text(text, encoding='utf-8')
  else:
    path.write_bytes(text)
  return path


@case('release_dir')
def folds_not_json(directory):
  path = _folds(directory, '{"train": ["videoA",], "test": ["videoC"]}')
  return Spoiled(_mosei(directory), path, ('line 1 column 21: not valid JSON',
                                           'expected {"train": [...]'))


@case('release_dir')
def folds_video_in_two_folds(directory):
  path = _folds(directory, json.dumps({'train': ['videoA', 'videoB'], 'test': ['videoC',
                                                                               'videoA']}))
  return Spoiled(_mosei(directory), path, ("video 'videoA' is listed in fold 'train' and again "
                                           "in 'test'", 'expected each video in one fold once'))


@case('release_dir')
def folds_without_labelled_videos(directory):
  path = _folds(directory, json.dumps({'train': ['videoA'], 'valid': ['videoB'],
                                       'test': ['video_c']}))
  return Spoiled(_mosei(directory), path, ('the test fold lists 1 videos, none of them labelled',
                                           str(directory / mosei.FILES['labels'])))


@case('release_dir')
def folds_not_lists(directory):
  path = _folds(directory, json.dumps({'train': 'videoA', 'test': ['videoC']}))
  return Spoiled(_mosei(directory), path, ("fold 'train' is 'videoA'",
                                           'expected a list of video id strings'))


@case('release_dir')
def folds_in_utf16(directory):
  path = _folds(directory, json.dumps({'train': ['videoA']}).encode('utf-16'))
  return Spoiled(_mosei(directory), path, ('UTF-16 byte-order mark, expected UTF-8',
                                           'iconv -f UTF-16 -t UTF-8'))


# ---------------------------------------------------------------------------------------------
# The MELD CSVs.


def _meld(directory: pathlib.Path) -> Callable[[], Any]:
  return lambda: files.screened('meld', 'csv', directory)


def _csv_text(directory: pathlib.Path, split: str = 'train') -> tuple[pathlib.Path, str]:
  path = directory / f'{split}_sent_emo.csv'
  return path, path.read_bytes().decode('utf-8')


@case('meld_dir')
def csv_latin1(directory):
  path, text = _csv_text(directory)
  path.write_bytes(text.replace('you’re “quoted”', 'café').encode('latin-1'))
  return Spoiled(_meld(directory), path, ('line 2: byte', 'is not UTF-8, expected UTF-8 text',
                                          'iconv -f WINDOWS-1252 -t UTF-8'))


@case('meld_dir')
def csv_utf16(directory):
  path, text = _csv_text(directory, 'dev')
  path.write_bytes(text.encode('utf-16'))
  return Spoiled(_meld(directory), path, ('UTF-16 byte-order mark, expected UTF-8',
                                          'iconv -f UTF-16 -t UTF-8'))


@case('meld_dir')
def csv_utf16_without_bom(directory):
  path, text = _csv_text(directory, 'test')
  path.write_bytes(text.encode('utf-16-le'))
  return Spoiled(_meld(directory), path, ('line 1: holds NUL bytes', 'expected UTF-8 text',
                                          'iconv -f UTF-16LE -t UTF-8'))


@case('meld_dir')
def csv_nul_in_speaker(directory):
  path, text = _csv_text(directory)
  path.write_text(text.replace('Rachel', 'Rach\x00el'), encoding='utf-8')
  return Spoiled(_meld(directory), path, ('line 3: holds NUL bytes', 'expected UTF-8 text'))


@case('meld_dir')
def csv_control_character_in_speaker(directory):
  path, text = _csv_text(directory)
  path.write_text(text.replace('Monica', 'Mon\x07ica'), encoding='utf-8')
  return Spoiled(_meld(directory), path, ("utterance 'train_1_1'",
                                          "speaker 'Mon\\x07ica' holds the control character "
                                          'U+0007', 'expected printable text'))


@case('meld_dir')
def csv_empty_speaker(directory):
  rows = list(files.MELD_ROWS['train'])
  rows[2] = (0, 2, ' ', 'neutral', 'neutral')
  path = files.write_meld_csv(directory, 'train', rows)
  return Spoiled(_meld(directory), path, ("utterance 'train_0_2'",
                                          "speaker is '', expected a non-empty string"))


@case('meld_dir')
def csv_short_row(directory):
  path, text = _csv_text(directory)
  lines = text.split('\r\n')
  lines[2] = '2,Short row,Rachel,anger,negative,0,1,1,1'
  path.write_text('\r\n'.join(lines), encoding='utf-8')
  return Spoiled(_meld(directory), path, ('line 3: a row of 9 fields', 'expected 11 as in the '
                                          'header'))


@case('meld_dir')
def csv_unquoted_comma(directory):
  path, text = _csv_text(directory, 'dev')
  path.write_text(text.replace('Phoebe', 'Phoebe, Joey'), encoding='utf-8')
  return Spoiled(_meld(directory), path, ('line 2: a row of 12 fields', 'must be quoted'))


@case('meld_dir')
def csv_header_only(directory):
  path = files.write_meld_csv(directory, 'test', [])
  return Spoiled(_meld(directory), path, ('no rows after the header',
                                          'expected one per utterance'))


@case('meld_dir')
def csv_duplicate_utterance(directory):
  path = files.write_meld_csv(directory, 'dev', files.MELD_ROWS['dev'] * 2)
  return Spoiled(_meld(directory), path, ("utterance 'dev_0_0'", 'expected unique utterance ids'))


# ---------------------------------------------------------------------------------------------
# Our lexical features (.npz).


def _npz(directory: pathlib.Path, split: str = 'train', **replaced: Any) -> pathlib.Path:
  path = lexical.path(directory, split)
  arrays = dict(np.load(path))
  np.savez(path, **(arrays | replaced))
  return path


@case('meld_dir')
def npz_object_array(directory):
  path = _npz(directory, ids=np.array(files.meld_keys('train'), dtype=object))
  return Spoiled(_meld(directory), path, ("array 'ids' holds Python objects",
                                          'refused as unsafe', 'expected arrays of numbers or '
                                          'unicode strings'))


@case('meld_dir')
def npz_not_a_zip(directory):
  path = lexical.path(directory, 'dev')
  path.write_bytes(pickle.dumps({'ids': ['0_0']}))
  return Spoiled(_meld(directory), path, ('not a zip archive', 'expected an .npz archive'))


@case('meld_dir')
def npz_is_a_bare_npy(directory):
  path = lexical.path(directory, 'test')
  with open(path, 'wb') as file:
    np.save(file, np.zeros(3))
  return Spoiled(_meld(directory), path, ('not a zip archive', 'expected an .npz archive'))


@case('meld_dir')
def npz_truncated(directory):
  path = lexical.path(directory, 'train')
  data = path.read_bytes()
  path.write_bytes(data[:len(data) - 100])
  return Spoiled(_meld(directory), path, ('not a zip archive',))


@case('meld_dir')
def npz_member_is_not_npy(directory):
  path = lexical.path(directory, 'dev')
  arrays = dict(np.load(path))
  with zipfile.ZipFile(path, 'w') as archive:
    for key, value in arrays.items():
      buffer = io.BytesIO()
      np.save(buffer, value)
      archive.writestr(f'{key}.npy', b'garbage' if key == 'pooled' else buffer.getvalue())
  return Spoiled(_meld(directory), path, ("member 'pooled.npy' is not a readable .npy array",))


@case('meld_dir')
def npz_duplicate_ids(directory):
  keys = files.meld_keys('train')
  keys[4] = keys[1]
  path = _npz(directory, ids=np.array(keys))
  return Spoiled(_meld(directory), path, ("id '0_1' appears at rows 1 and 4",
                                          'expected unique ids'))


@case('meld_dir')
def npz_ids_are_numbers(directory):
  path = _npz(directory, 'test', ids=np.arange(2.0))
  return Spoiled(_meld(directory), path, ('ids is a float64 array of shape [2]',
                                          'expected unicode strings'))


@case('meld_dir')
def npz_array_above_the_cap(directory):
  path = lexical.path(directory, 'train')
  return Spoiled(lambda: files.screened('meld', 'csv', directory, max_array_bytes=1000), path,
                 ("array 'pooled' of shape [6, 384] and dtype float32 declares 9,216 bytes",
                  'above the cap of 1,000 bytes', 'raise data.max_array_bytes'))


@pytest.mark.parametrize('name', CASES)
def test_a_hostile_file_gets_an_error_naming_it_and_the_expectation(request, name):
  fixture, spoil = CASES[name]
  spoiled = spoil(request.getfixturevalue(fixture))
  with pytest.raises((ValueError, pickle.UnpicklingError)) as error:
    spoiled.read()
  message = str(error.value)
  assert str(spoiled.at_fault) in message
  for expected in spoiled.expected:
    assert expected in message
  assert 'allow_pickle' not in message


def test_bad_intervals_are_dropped_and_counted(release_dir):
  _spoil_csd(release_dir, 'audio', 'videoA', _set_interval(5, [0.6, 0.1]))
  utterances, screen = _mosei(release_dir, 'drop')()
  assert screen.report()['dropped'] == {'intervals': 2}
  assert [u.id for split in utterances.values() for u in split] == ['videoB[0]', 'videoC[0]']


def test_bad_labels_and_text_are_dropped_and_counted(meld_dir):
  path, text = _csv_text(meld_dir)
  path.write_text(text.replace('Monica', 'Mon\x07ica').replace('Ross', '\u2028Ross', 1),
                  encoding='utf-8')
  utterances, screen = files.screened('meld', 'csv', meld_dir, 'drop')
  assert screen.report()['dropped'] == {'text': 1}
  assert len(utterances['train']) == 5


def test_a_split_left_empty_names_it_and_the_drop_counts(tmp_path, meld_dir):
  rows = [(d, t, s, 'bored', sentiment) for d, t, s, _, sentiment in files.MELD_ROWS['dev']]
  files.write_meld_csv(meld_dir, 'dev', rows)
  with pytest.raises(ValueError) as error:
    files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='emotion', on_bad_utterance='drop')
  assert str(error.value) == (f"{meld_dir}: the validation split has no utterance left "
                              "(dropped so far, by reason: {'label': 2}), expected at least one.")


def test_load_corpus_applies_data_max_array_bytes(tmp_path, meld_dir):
  with pytest.raises(ValueError) as error:
    files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='emotion', max_array_bytes=1000)
  assert str(error.value).startswith(f"{lexical.path(meld_dir, 'train')}: array 'pooled' ")
  assert 'above the cap of 1,000 bytes' in str(error.value)
  corpus = files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='emotion',
                      max_array_bytes=1 << 20)
  assert corpus.splits['train'].num_examples == 6


def test_checked_text_and_ids_refuse_what_would_split_a_speaker():
  for value in ('Joey\x00', 'Joey\n', '\ud800'):
    with pytest.raises(checks.BadUtterance, match='control character'):
      checks.checked_text('f.csv', 'u', 'speaker', value)
  assert checks.checked_text('f.csv', 'u', 'speaker', 'Zoë') == 'Zoë'
  assert checks.id_text('f.pkl', 'row 0', b'caf\xc3\xa9') == 'café'
  with pytest.raises(checks.BadUtterance, match=r"f.pkl: utterance 'row 0': id .* not UTF-8"):
    checks.id_text('f.pkl', 'row 0', b'\xff')


# ---------------------------------------------------------------------------------------------
# Memory bombs: declared sizes far beyond the file, read in a child under an address-space cap.

_LIMIT_BYTES = 1 << 30
_CHILD = r'''
import json, pathlib, resource, sys, types
root, limit, cases = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.path.insert(0, root)
# emorec/data/__init__.py imports TensorFlow, which the readers do not need.
package = types.ModuleType('emorec.data')
package.__path__ = [root + '/emorec/data']
sys.modules['emorec.data'] = package
from emorec.data import safe_pickle
from emorec.data.real import csd, lexical, mult

def read(kind, path):
  if kind == 'pickle':
    return safe_pickle.load(path)
  if kind == 'csd':
    with csd.ComputationalSequence(path) as sequence:
      return sequence['v']
  if kind == 'npz':
    return lexical.read(path)
  release = mult.MultRelease(dims={'text': 4, 'audio': 3, 'vision': 2})
  for stream in release.read(pathlib.Path(path).parent).values():
    list(stream)

results = {}
for name, (kind, path) in cases.items():
  try:
    read(kind, path)
    results[name] = ['loaded', '']
  except BaseException as error:
    results[name] = [type(error).__name__, str(error)]
print(json.dumps(results))
'''


def _pickle_bomb(directory: pathlib.Path, opcodes: bytes) -> pathlib.Path:
  path = directory / f'bomb{len(list(directory.iterdir()))}.pkl'
  path.write_bytes(opcodes)
  return path


def _csd_bomb(directory: pathlib.Path, **storage: Any) -> pathlib.Path:
  """A .csd of a few KB whose features dataset declares 28 GB, never written."""
  path = directory / f'bomb{len(list(directory.iterdir()))}.csd'
  with h5py.File(path, 'w') as file:
    file.create_dataset('root/data/v/features', shape=(100_000, 70_000), dtype='<f4', **storage)
    file['root/data/v/intervals'] = np.zeros((100_000, 2))
  return path


def _npz_bomb(directory: pathlib.Path) -> pathlib.Path:
  """An .npz whose 'ids' header declares 80 GB of float64 and holds none of it."""
  buffer = io.BytesIO()
  np.lib.format.write_array_header_1_0(buffer, {'descr': '<f8', 'fortran_order': False,
                                                'shape': (HUGE,)})
  path = directory / 'bomb.npz'
  with zipfile.ZipFile(path, 'w') as archive:
    archive.writestr('ids.npy', buffer.getvalue())
  return path


def _forged_release(directory: pathlib.Path) -> pathlib.Path:
  """The MulT release, its first text array declaring 10^10 frames."""
  mult_dir = directory / 'mult'
  mult_dir.mkdir()
  data = pickle.dumps(files.mult_iemocap(), protocol=2)
  shape = b'K\x04K\x05K\x04\x87'
  assert shape in data
  path = mult_dir / 'iemocap_data.pkl'
  forged = b'\x8a\x05' + HUGE.to_bytes(5, 'little') + shape[2:]
  path.write_bytes(data.replace(shape, forged, 1))
  return path


BOMBS = ('pickle_bytes_length', 'pickle_frame_length', 'pickle_string_length',
         'pickle_bytearray_call', 'pickle_reconstruct_shape', 'pickle_array_state_shape',
         'pickle_object_array_shape', 'mult_release_array_shape', 'csd_unwritten_dataset',
         'csd_compressed_dataset', 'npz_array_header')


def _bombs(directory: pathlib.Path) -> dict[str, tuple[str, pathlib.Path, str]]:
  """name -> (reader, file, what its error must say)."""
  huge = b'\x8a\x05' + HUGE.to_bytes(5, 'little')
  array = pickle.dumps(np.zeros(4), protocol=2)
  objects = pickle.dumps(np.array([None, None], dtype=object), protocol=2)
  forged = 'that can hold it, expected data stored in the file'
  return {
      'pickle_bytes_length': ('pickle', _pickle_bomb(
          directory, b'\x80\x04\x8e' + struct.pack('<Q', HUGE) + b'abc.'), forged),
      'pickle_frame_length': ('pickle', _pickle_bomb(
          directory, b'\x80\x04\x95' + struct.pack('<Q', HUGE) + b'K\x01.'), forged),
      'pickle_string_length': ('pickle', _pickle_bomb(
          directory, b'\x80\x02X' + struct.pack('<I', 4_000_000_000) + b'abc.'), forged),
      'pickle_bytearray_call': ('pickle', _pickle_bomb(
          directory, b'\x80\x02c__builtin__\nbytearray\n' + huge + b'\x85R.'),
                                'bytearray(10000000000) declares 10,000,000,000 bytes'),
      'pickle_reconstruct_shape': ('pickle', _pickle_bomb(
          directory, b'\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n' + huge
          + b'\x85U\x01b\x87R.'), 'an array of shape [10000000000] and dtype int8 declares'),
      'pickle_array_state_shape': ('pickle', _pickle_bomb(
          directory, array.replace(b'K\x04\x85', huge + b'\x85')),
                                   'an array of shape [10000000000] and dtype float64 declares'),
      'pickle_object_array_shape': ('pickle', _pickle_bomb(
          directory, objects.replace(b'K\x02\x85', huge + b'\x85')),
                                    'and dtype object declares 80,000,000,000 bytes'),
      'mult_release_array_shape': ('mult', _forged_release(directory),
                                   'an array of shape [10000000000, 5, 4] and dtype float32'),
      'csd_unwritten_dataset': ('csd', _csd_bomb(directory),
                                '/root/data/v/features of shape [100000, 70000] and dtype '
                                'float32 declares 28,000,000,000 bytes (26.1 GiB), more than'),
      'csd_compressed_dataset': ('csd', _csd_bomb(directory, chunks=(1000, 1000),
                                                  compression='gzip'),
                                 'declares 28,000,000,000 bytes (26.1 GiB), above the cap'),
      'npz_array_header': ('npz', _npz_bomb(directory),
                           "array 'ids' of shape [10000000000] and dtype float64 declares"),
  }


@pytest.fixture(scope='module')
def bomb_results(tmp_path_factory):
  """(name -> (reader, file, expected), name -> [error type, message]) from one child."""
  directory = tmp_path_factory.mktemp('bombs')
  bombs = _bombs(directory)
  assert tuple(bombs) == BOMBS
  control = directory / 'control.pkl'
  control.write_bytes(pickle.dumps({'frames': np.ones((256, 1024), np.float32)}))
  cases = {name: (kind, str(path)) for name, (kind, path, _) in bombs.items()}
  cases['control'] = ('pickle', str(control))
  env = {**os.environ, 'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1'}
  child = subprocess.run([sys.executable, '-c', _CHILD, str(ROOT), str(_LIMIT_BYTES),
                          json.dumps(cases)], capture_output=True, text=True, timeout=120,
                         env=env, check=False)
  assert child.returncode == 0, child.stderr[-2000:]
  return bombs, json.loads(child.stdout.strip().splitlines()[-1])


def test_the_bomb_child_loads_a_sane_pickle_under_its_limit(bomb_results):
  assert bomb_results[1]['control'] == ['loaded', '']


@pytest.mark.parametrize('name', BOMBS)
def test_a_declared_size_beyond_the_file_or_cap_is_refused_before_allocating(bomb_results,
                                                                             name):
  bombs, results = bomb_results
  _, path, expected = bombs[name]
  error, message = results[name]
  assert error == 'DeclaredSizeError', (error, message)
  assert message.startswith(f'{path}: ') and expected in message
  assert 'allow_pickle' not in message


def test_utf8_with_a_byte_order_mark_is_read(meld_dir):
  path, text = _csv_text(meld_dir)
  path.write_bytes(codecs.BOM_UTF8 + text.encode('utf-8'))
  utterances, _ = files.screened('meld', 'csv', meld_dir)
  assert len(utterances['train']) == 6
