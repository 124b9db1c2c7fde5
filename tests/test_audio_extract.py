"""Feature extraction: shapes, determinism and provenance on tones and real EmoDB files; the
stored format; resuming; bad files stopping the run or skipped and counted; the launcher."""

import importlib.metadata
import json
import os

import numpy as np
import pytest

from emorec.audio import extract, features, logmel, store, wav
from launch import extract_audio
from tests.audio_fixtures import emodb_dir, tone, write_wav

# (feature set, columns) and the frames of a 1 s file at 10 ms hops (openSMILE: 20/60 ms windows).
EXPECTED_COLUMNS = {'egemaps_lld': 25, 'egemaps_functionals': 88, 'compare_lld': 65,
                    'compare_functionals': 6373, 'logmel': 40}
EMODB_FILES = ('wav/03a01Fa.wav', 'wav/08a01Wa.wav', 'wav/16b10Tb.wav')


@pytest.fixture(scope='module')
def tones(tmp_path_factory):
  """An audio folder of two tones, extracted once with every feature set."""
  root = tmp_path_factory.mktemp('tones')
  write_wav(root / 'audio' / 'low.wav', tone(300.0))
  write_wav(root / 'audio' / 'sub' / 'high.wav', tone(1000.0))
  summary = extract.extract_folder(str(root / 'audio'), extract.list_wavs(str(root / 'audio')),
                                   str(root / 'features'), list(features.FEATURE_SETS),
                                   sample_rate=16000, progress=False)
  return root, summary


def _read(root, name, source):
  return store.read_features(store.feature_path(str(root / 'features'), name, source))


def test_every_feature_set_is_tested():
  assert set(EXPECTED_COLUMNS) == set(features.FEATURE_SETS)


def test_tones_give_each_feature_set_its_shape(tones):
  root, summary = tones
  assert (summary.files, summary.written, summary.already_done, summary.bad) == (2, 10, 0, {})
  for name, columns in EXPECTED_COLUMNS.items():
    stored = _read(root, name, 'sub/high.wav')
    frames = 1 if name.endswith('functionals') else stored.frames.shape[0]
    assert stored.frames.shape == (frames, columns) and len(stored.names) == columns
    assert np.isfinite(stored.frames).all()
    if not name.endswith('functionals'):
      assert 94 <= frames <= 100  # 1 s at a 10 ms hop, less the last window


def test_provenance_names_extractor_settings_and_input(tones):
  root, _ = tones
  digest = store.sha256(str(root / 'audio' / 'low.wav'))
  smile = _read(root, 'compare_functionals', 'low.wav').provenance
  assert smile == {'format': store.FORMAT, 'feature_set': 'compare_functionals',
                   'extractor': 'opensmile',
                   'extractor_version': importlib.metadata.version('opensmile'),
                   'settings': {'feature_set': 'ComParE_2016', 'feature_level': 'Functionals'},
                   'sample_rate': 16000, 'hop': 0.0, 'num_samples': 16000, 'source': 'low.wav',
                   'source_sha256': digest}
  mel = _read(root, 'logmel', 'low.wav').provenance
  assert (mel['extractor'], mel['extractor_version'], mel['hop']) == ('emorec.logmel',
                                                                      logmel.VERSION, 0.01)
  assert mel['settings']['num_mels'] == 40 and mel['source_sha256'] == digest


def test_extraction_is_deterministic(tones, tmp_path):
  root, _ = tones
  extract.extract_folder(str(root / 'audio'), ['low.wav'], str(tmp_path), list(features.FEATURE_SETS),
                         progress=False)
  for name in features.FEATURE_SETS:
    again = store.read_features(store.feature_path(str(tmp_path), name, 'low.wav'))
    np.testing.assert_array_equal(again.frames, _read(root, name, 'low.wav').frames)


def test_log_mel_peaks_in_the_band_of_the_tone(tones):
  root, _ = tones
  spec = logmel.LogMelSpec()
  centres = logmel.mel_to_hz(np.linspace(logmel.hz_to_mel(spec.fmin), logmel.hz_to_mel(8000.0),
                                         spec.num_mels + 2))[1:-1]
  for source, hz in (('low.wav', 300.0), ('sub/high.wav', 1000.0)):
    band = _read(root, 'logmel', source).frames.mean(axis=0).argmax()
    assert band == np.abs(centres - hz).argmin()


def test_mel_filters_have_unit_area_and_cover_the_band():
  filters = logmel.mel_filters(logmel.LogMelSpec(num_mels=8), 16000)
  bin_hz = 16000 / 512
  assert filters.shape == (257, 8) and (filters >= 0).all()
  np.testing.assert_allclose(filters.sum(axis=0) * bin_hz, 1.0, rtol=0.1)


def test_real_emodb_files(tmp_path):
  root = emodb_dir()
  summary = extract.extract_folder(str(root), list(EMODB_FILES), str(tmp_path),
                                   ['egemaps_functionals', 'egemaps_lld', 'logmel'],
                                   sample_rate=22050, progress=False)
  assert (summary.written, summary.bad) == (9, {})
  for source in EMODB_FILES:
    functionals = store.read_features(store.feature_path(str(tmp_path), 'egemaps_functionals',
                                                         source))
    assert functionals.frames.shape == (1, 88)
    assert functionals.provenance['sample_rate'] == 22050
    assert functionals.provenance['num_samples'] == 44100  # this copy: exactly 2 s
    assert functionals.provenance['source_sha256'] == store.sha256(str(root / source))
    lld = store.read_features(store.feature_path(str(tmp_path), 'egemaps_lld', source))
    assert 190 <= lld.frames.shape[0] <= 200 and lld.frames.shape[1] == 25
    assert 'Loudness_sma3' in lld.names
    assert 'F0semitoneFrom27.5Hz_sma3nz_amean' in functionals.names
  first, second = (store.read_features(store.feature_path(str(tmp_path), 'egemaps_functionals', s))
                   for s in EMODB_FILES[:2])
  assert not np.allclose(first.frames, second.frames)


def test_second_run_skips_what_is_done_and_redoes_a_changed_file(tmp_path):
  audio = tmp_path / 'audio'
  write_wav(audio / 'a.wav', tone(300.0))
  write_wav(audio / 'b.wav', tone(500.0))
  args = (str(audio), ['a.wav', 'b.wav'], str(tmp_path / 'out'), ['egemaps_functionals', 'logmel'])
  assert extract.extract_folder(*args, progress=False).written == 4
  again = extract.extract_folder(*args, progress=False)
  assert (again.written, again.already_done) == (0, 4)
  write_wav(audio / 'b.wav', tone(700.0))
  changed = extract.extract_folder(*args, progress=False)
  assert (changed.written, changed.already_done) == (2, 2)
  summary = json.loads((tmp_path / 'out' / extract.SUMMARY_FILE).read_text())
  assert (summary['written'], summary['already_done'], summary['files']) == (2, 2, 2)


def test_processes_give_the_same_features(tones, tmp_path):
  root, _ = tones
  sources = extract.list_wavs(str(root / 'audio'))
  extract.extract_folder(str(root / 'audio'), sources, str(tmp_path), ['egemaps_lld'],
                         workers=2, progress=False)
  for source in sources:
    np.testing.assert_array_equal(
        store.read_features(store.feature_path(str(tmp_path), 'egemaps_lld', source)).frames,
        _read(root, 'egemaps_lld', source).frames)


def _folder_with_bad_files(tmp_path):
  audio = tmp_path / 'audio'
  write_wav(audio / 'good.wav', tone(300.0))
  write_wav(audio / 'stereo.wav', np.stack([tone(300.0)] * 2, axis=1))
  write_wav(audio / 'silent.wav', np.zeros(16000, np.int16))
  (audio / 'empty.wav').write_bytes(b'')
  return str(audio), ['empty.wav', 'good.wav', 'missing.wav', 'silent.wav', 'stereo.wav']


def test_bad_file_stops_the_run_naming_it(tmp_path):
  audio, sources = _folder_with_bad_files(tmp_path)
  with pytest.raises(wav.BadAudio, match='empty.wav: is an empty file'):
    extract.extract_folder(audio, sources, str(tmp_path / 'out'), ['logmel'], progress=False)


def test_skip_leaves_bad_files_out_counted_by_reason(tmp_path):
  audio, sources = _folder_with_bad_files(tmp_path)
  summary = extract.extract_folder(audio, sources, str(tmp_path / 'out'), ['logmel'],
                                   on_bad_audio='skip', progress=False)
  assert summary.written == 1 and summary.num_bad == 4
  assert summary.bad == {'empty': ['empty.wav'], 'unreadable': ['missing.wav'],
                         'silent': ['silent.wav'], 'channels': ['stereo.wav']}
  assert os.listdir(tmp_path / 'out' / 'logmel') == ['good.npz']


def test_stored_features_are_checked(tmp_path):
  path = str(tmp_path / 'x.npz')
  np.savez(path, frames=np.zeros((2, 3), np.float32))
  with pytest.raises(ValueError, match='not an emorec features file'):
    store.read_features(path)
  with pytest.raises(ValueError, match='provenance lacks'):
    store.write_features(path, np.zeros((1, 2)), ('a', 'b'), {'format': store.FORMAT})
  with pytest.raises(ValueError, match='inside the audio folder'):
    store.feature_path(str(tmp_path), 'logmel', '../outside.wav')


def test_unknown_feature_set_and_policy_are_refused(tmp_path):
  with pytest.raises(ValueError, match='Unknown feature set'):
    extract.extract_folder(str(tmp_path), [], str(tmp_path), ['mfcc'], progress=False)
  with pytest.raises(ValueError, match='on_bad_audio'):
    extract.extract_folder(str(tmp_path), [], str(tmp_path), ['logmel'], on_bad_audio='drop')


def test_launcher_reads_the_file_column_and_reports_skips(tmp_path, capsys):
  audio, sources = _folder_with_bad_files(tmp_path)
  (tmp_path / 'labels.csv').write_text('path,x\n' + '\n'.join(f'{s},1' for s in sources))
  extract_audio.main([f'--audio_dir={audio}', f'--labels={tmp_path / "labels.csv"}',
                      '--file_column=path', f'--output={tmp_path / "out"}', '--features=logmel',
                      '--workers=1', '--on_bad_audio=skip'])
  out = capsys.readouterr().out
  assert '1 feature files written' in out and '4 bad files skipped' in out
  with pytest.raises(SystemExit, match="no file column 'file'"):
    extract_audio.main([f'--audio_dir={audio}', f'--labels={tmp_path / "labels.csv"}',
                        f'--output={tmp_path / "out"}'])
