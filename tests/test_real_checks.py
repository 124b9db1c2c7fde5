"""Bad utterances get errors naming the file, the id and the expectation, or are dropped and
counted; -inf is set to 0 only where a release is known to hold it."""

import re

import numpy as np
import pytest

from emorec.data.real.checks import BadUtterance
from tests import real_fixtures as files

pytest_plugins = ('tests.real_fixtures',)

AUDIO = 'audio_embeddings_feature_selection_emotion.pkl'
GLOVE = 'text_glove_average_emotion.pkl'


def _edit_audio(meld_dir, edit):
  vectors = files.meld_vectors(files.MELD_DIMS['audio'], 2)
  edit(vectors[0])
  files.write_pickle(meld_dir / AUDIO, vectors)


def _wrong_dimension(meld_dir):
  _edit_audio(meld_dir, lambda train: train.update({'0_1': np.zeros(4, np.float32)}))


def _nan_text(meld_dir):
  vectors = files.meld_vectors(files.MELD_DIMS['glove'], 1)
  vectors[0]['1_0'][2] = np.nan
  files.write_pickle(meld_dir / GLOVE, vectors)


def _empty_tokens(meld_dir):
  files.write_meld_lexical(meld_dir, 'train', lengths=[2, 3, 0, 1, 1, 1])


def _unknown_emotion(meld_dir):
  rows = list(files.MELD_ROWS['train'])
  rows[3] = (1, 0, 'Ross', 'bored', 'positive')
  files.write_meld_csv(meld_dir, 'train', rows)


def _missing_audio(meld_dir):
  _edit_audio(meld_dir, lambda train: train.pop('0_2'))


def _unmatched_audio(meld_dir):
  _edit_audio(meld_dir, lambda train: train.update({'9_9': np.zeros(5, np.float32)}))


def _duplicate_row(meld_dir):
  files.write_meld_csv(meld_dir, 'train', files.MELD_ROWS['train'] + [files.MELD_ROWS['train'][4]])


# (edit, reader options, reason, what the error says, utterances admitted under 'drop').
CASES = {
    'dimension': (_wrong_dimension, {'audio': True}, AUDIO + r": utterance 'train_0_1': audio "
                  r'features have shape \[1, 4\], expected \[T, 5\]', 9),
    'non_finite': (_nan_text, {'text': 'glove'}, GLOVE + r": utterance 'train_1_0': text "
                   r'features hold 1 NaN/inf values .*expected finite values', 9),
    'empty': (_empty_tokens, {}, r"train.npz: utterance 'train_0_2': text features are empty, "
              r'expected T >= 1', 9),
    'label': (_unknown_emotion, {}, r"train_sent_emo.csv: utterance 'train_1_0': Emotion "
              r"'bored', expected one of \('neutral', ", 9),
    'missing_modality': (_missing_audio, {'audio': True}, AUDIO + r": utterance 'train_0_2': "
                         r"no audio features for key '0_2', expected one per CSV row", 9),
    'unmatched_id': (_unmatched_audio, {'audio': True}, AUDIO + r": utterance 'train_9_9': audio "
                     r"features for key '9_9' match no row of train_sent_emo.csv", 10),
    'duplicate_id': (_duplicate_row, {}, r"train_sent_emo.csv: utterance 'train_1_1': this id "
                     r'appeared before, expected unique utterance ids', 10),
}


def _options(options):
  dims = {'audio': files.MELD_DIMS['audio']}
  if options.get('text') == 'glove':
    dims['text'] = files.MELD_DIMS['glove']
  return {'dims': dims, **options}


@pytest.mark.parametrize('reason', CASES)
def test_bad_utterances_stop_the_build_with_a_clear_error(meld_dir, reason):
  edit, options, message, _ = CASES[reason]
  edit(meld_dir)
  with pytest.raises(BadUtterance, match=message) as error:
    files.screened('meld', 'csv', meld_dir, **_options(options))
  assert error.value.reason == reason


@pytest.mark.parametrize('reason', CASES)
def test_bad_utterances_are_dropped_and_counted(meld_dir, reason):
  edit, options, _, admitted = CASES[reason]
  edit(meld_dir)
  utterances, screen = files.screened('meld', 'csv', meld_dir, 'drop', **_options(options))
  assert sum(map(len, utterances.values())) == admitted
  assert screen.report()['dropped'] == {reason: 1}


def test_the_corpus_reports_dropped_utterances(tmp_path, meld_dir):
  _unknown_emotion(meld_dir)
  corpus = files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='emotion',
                      on_bad_utterance='drop', max_len=8)
  assert corpus.info['dropped'] == {'label': 1}
  assert corpus.splits['train'].num_examples == 5


def test_a_bad_utterance_stops_load_corpus(tmp_path, meld_dir):
  _unknown_emotion(meld_dir)
  with pytest.raises(ValueError, match=CASES['label'][2]):
    files.load(tmp_path, 'meld', 'csv', meld_dir, protocol='emotion', max_len=8)


def test_a_class_index_out_of_range(release_dir):
  release = files.conv_emotion_iemocap()
  release[2]['Ses02F_impro01'][1] = 9
  files.write_pickle(release_dir / 'IEMOCAP_features.pkl', release)
  message = (r"IEMOCAP_features.pkl: utterance 'Ses02F_impro01_M001': label is 9, expected a "
             r'class index in \[0, 6\)')
  with pytest.raises(BadUtterance, match=message):
    files.screened('iemocap', 'conv_emotion', release_dir, dims=files.SMALL_DIMS)


@pytest.mark.parametrize('modality, value', [('text', -np.inf), ('audio', np.inf),
                                             ('audio', np.nan)])
def test_only_minus_inf_audio_is_zeroed(release_dir, modality, value):
  release = files.mult_iemocap()
  release['test'][modality][1, -1, 0] = value
  files.write_pickle(release_dir / 'iemocap_data.pkl', release)
  message = re.escape(f"iemocap_data.pkl: utterance 'Ses03F_impro01_M001': {modality} features "
                      f'hold 1 NaN/inf values (first {value} at frame 2, column 0)')
  with pytest.raises(BadUtterance, match=message):
    files.screened('iemocap', 'mult', release_dir, dims=files.SMALL_DIMS)


def test_conv_emotion_rows_without_ids(release_dir):
  release = files.conv_emotion_iemocap()
  release[4]['Ses01F_impro02'].append(np.zeros(3, np.float32))
  del release[5]['Ses03F_impro01'][2]
  files.write_pickle(release_dir / 'IEMOCAP_features.pkl', release)
  utterances, screen = files.screened('iemocap', 'conv_emotion', release_dir, 'drop',
                                      dims=files.SMALL_DIMS)
  assert screen.report()['dropped'] == {'missing_modality': 1, 'unmatched_id': 1}
  assert len(utterances['train']) == 23
