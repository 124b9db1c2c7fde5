"""WAV screening: every kind of bad file gets its reason and a message naming the file."""

import numpy as np
import pytest

from emorec.audio import wav
from tests.audio_fixtures import tone, write_wav


def test_reads_int16_mono_as_float_in_unit_range(tmp_path):
  path = write_wav(tmp_path / 'a.wav', tone(440.0, amplitude=0.5))
  samples, rate = wav.read_wav(path, 16000)
  assert rate == 16000 and samples.dtype == np.float32 and samples.shape == (16000,)
  assert 0.49 < np.abs(samples).max() <= 0.5


def test_integer_and_float_samples_share_one_scale():
  assert wav.to_float(np.array([-32768, 16384], np.int16)).tolist() == [-1.0, 0.5]
  assert wav.to_float(np.array([0, 128, 255], np.uint8)).tolist() == [-1.0, 0.0, 127 / 128]
  assert wav.to_float(np.array([0.25], np.float64)).dtype == np.float32


def _bad_files(tmp_path):
  """{reason: path} of one bad file per reason."""
  empty = tmp_path / 'empty.wav'
  empty.write_bytes(b'')
  text = tmp_path / 'text.wav'
  text.write_text('file,speaker\n')
  truncated = tmp_path / 'truncated.wav'
  truncated.write_bytes(b'RIFF\x24\x00\x00\x00WAVEfmt \x10\x00')
  nan = tone(440.0).astype(np.float32) / 32768
  nan[100] = np.nan
  return {
      'unreadable': str(truncated),
      'empty': str(empty),
      'not_wav': str(text),
      'channels': write_wav(tmp_path / 'stereo.wav', np.stack([tone(440.0)] * 2, axis=1)),
      'sample_rate': write_wav(tmp_path / 'rate.wav', tone(440.0, sample_rate=8000), 8000),
      'no_samples': write_wav(tmp_path / 'nothing.wav', np.zeros(0, np.int16)),
      'non_finite': write_wav(tmp_path / 'nan.wav', nan),
      'silent': write_wav(tmp_path / 'silent.wav', np.zeros(16000, np.int16)),
  }


def test_every_reason_has_a_bad_file_case(tmp_path):
  assert set(_bad_files(tmp_path)) == set(wav.REASONS)


@pytest.mark.parametrize('reason', wav.REASONS)
def test_bad_file_raises_its_reason_naming_the_file(tmp_path, reason):
  path = _bad_files(tmp_path)[reason]
  with pytest.raises(wav.BadAudio) as raised:
    wav.read_wav(path, 16000)
  assert raised.value.reason == reason and raised.value.path == path
  assert str(raised.value).startswith(f'{path}: ')


def test_missing_file_is_unreadable(tmp_path):
  with pytest.raises(wav.BadAudio, match='cannot be read') as raised:
    wav.read_wav(str(tmp_path / 'absent.wav'))
  assert raised.value.reason == 'unreadable'


def test_any_rate_is_accepted_without_an_expected_rate(tmp_path):
  path = write_wav(tmp_path / 'rate.wav', tone(440.0, sample_rate=8000), 8000)
  assert wav.read_wav(path)[1] == 8000
