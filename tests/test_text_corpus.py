"""Any text corpus: CSV/TSV/JSONL utterance files, their errors, features, the MELD preset and
the resumable extractor (with a stand-in encoder)."""

import importlib.util
import json
import pathlib
import types

import numpy as np
import pytest

from configs import meld as meld_config
from configs import text as text_config
from emorec.data import loader, text_corpus
from emorec.data.real import lexical, meld
from tests import text_fixtures

REPO = pathlib.Path(__file__).resolve().parents[1]
# The MELD CSVs beside the repository (../shared), or beside the directory of worktrees.
MELD_DIR = next((d for d in (REPO.parent / 'shared/data/meld', REPO.parents[1] / 'shared/data/meld')
                 if d.is_dir()), REPO.parent / 'shared/data/meld')
COLUMNS = {'text': 'utterance', 'label': 'emotion', 'id': 'uid'}


def _spec(path, **fields) -> text_corpus.TextSpec:
  return text_corpus.TextSpec(files={'*': str(path)}, columns=COLUMNS, **fields)


def _write(path: pathlib.Path, text: str) -> pathlib.Path:
  path.write_text(text, encoding='utf-8')
  return path


@pytest.mark.parametrize('name, text', [
    ('u.csv', 'uid,utterance,emotion,split\na,"Hi, there",Joy,train\nb,Bye,sad,test\n'),
    ('u.tsv', 'uid\tutterance\temotion\tsplit\na\tHi, there\tJoy\ttrain\nb\tBye\tsad\ttest\n'),
    ('u.jsonl', '{"uid": "a", "utterance": "Hi, there", "emotion": "Joy", "split": "train"}\n\n'
                '{"uid": "b", "utterance": "Bye", "emotion": "sad", "split": "test"}\n'),
])
def test_every_format_reads_the_same_rows(tmp_path, name, text):
  rows = text_corpus.read_rows(_spec(_write(tmp_path / name, text)))
  assert [(r.id, r.text, r.labels, r.split) for r in rows] == [
      ('a', 'Hi, there', ('joy',), 'train'), ('b', 'Bye', ('sad',), 'test')]
  assert text_corpus.label_set(_spec(tmp_path / name), rows) == ('joy', 'sad')


def test_ids_default_to_row_numbers_or_follow_a_template(tmp_path):
  path = _write(tmp_path / 'u.csv', 'Utterance,D,U\nx,0,1\ny,0,2\n')
  spec = text_corpus.TextSpec(files={'test': str(path)}, columns={'text': 'Utterance'})
  assert [r.id for r in text_corpus.read_rows(spec)] == ['1', '2']
  spec = text_corpus.TextSpec(files={'dev': str(path)}, columns={'text': 'Utterance'},
                              id_template='{D}_{U}')
  rows = text_corpus.read_rows(spec)
  assert [r.id for r in rows] == ['0_1', '0_2'] and {r.split for r in rows} == {'validation'}
  assert {r.part for r in rows} == {'dev'}


@pytest.mark.parametrize('text, fields, match', [
    ('uid,utterance,emotion\na,  ,joy\n', {}, r'row 1 \(line 2\): empty text'),
    ('uid,utterance,emotion\na,hi,joy\nb,"two\nlines",joy\nc,yo,glee\n', {'labels': ('joy',)},
     r"row 3 \(line 5\): label 'glee', expected one of \['joy'\]"),
    ('uid,utterance,emotion\na,hi,joy\na,yo,joy\n', {},
     r"row 2.*duplicate id 'a' \(first at row 1\)"),
    ('uid,utterance,emotion,split\na,hi,joy,holdout\n', {}, r"split 'holdout', expected one of"),
    ('uid,text,emotion\na,hi,joy\n', {}, r"no column \['utterance'\]"),
])
def test_bad_rows_name_file_row_and_line(tmp_path, text, fields, match):
  path = _write(tmp_path / 'bad.csv', text)
  with pytest.raises(ValueError, match=rf'bad.csv(, | ).*{match}'):
    text_corpus.read_rows(_spec(path, **fields))


def test_wrong_encoding_names_the_line(tmp_path):
  path = tmp_path / 'latin.csv'
  path.write_bytes('uid,utterance,emotion\na,ok,joy\nb,caf\xe9,joy\n'.encode('latin-1'))
  with pytest.raises(ValueError, match=r'latin.csv, line 3: byte 0xe9 .* not UTF-8'):
    text_corpus.read_rows(_spec(path))


def test_bad_json_lines_are_named(tmp_path):
  path = _write(tmp_path / 'u.jsonl', '{"utterance": "a"}\n[1, 2]\n')
  spec = text_corpus.TextSpec(files={'*': str(path)}, columns={'text': 'utterance'})
  with pytest.raises(ValueError, match=r'row 2 \(line 2\): a JSON list, expected an object'):
    text_corpus.read_rows(spec)


def test_unknown_formats_and_parts_are_refused(tmp_path):
  with pytest.raises(ValueError, match=r"unknown format '.xlsx'"):
    text_corpus.read_rows(_spec(_write(tmp_path / 'u.xlsx', 'x')))
  path = _write(tmp_path / 'u.csv', 'utterance\nhi\n')
  with pytest.raises(ValueError, match="part 'holdout', expected a split"):
    text_corpus.read_rows(text_corpus.TextSpec(files={'holdout': str(path)}, columns=COLUMNS))


def test_multi_label_rows_split_on_the_separator(tmp_path):
  path = _write(tmp_path / 'u.csv', 'uid,utterance,emotion\na,hi,joy; surprise\nb,yo,\n')
  rows = text_corpus.read_rows(_spec(path, label_separator=';'))
  assert [r.labels for r in rows] == [('joy', 'surprise'), ()]


@pytest.fixture(scope='module')
def corpus_files(tmp_path_factory):
  return text_fixtures.write_corpus(tmp_path_factory.mktemp('text'))


def _config(path, features, extra=''):
  return text_config.get_config(f'files={path},columns=text=utterance+label=emotion+id=uid,'
                                f'features_dir={features}{extra}')


def test_the_loader_builds_the_corpus_with_ids_and_features(corpus_files):
  path, features = corpus_files
  corpus = loader.load_corpus(_config(path, features).data)
  assert corpus.name == 'text' and corpus.emotions == ('angry', 'happy', 'sad')
  assert corpus.modality_dims == {'text': 384} and not corpus.multi_label
  assert {s: sp.num_examples for s, sp in corpus.splits.items()} == (
      text_fixtures.SPLIT_SIZES)
  test = corpus.splits['test']
  assert test.ids[0] == 'test-0' and corpus.emotions[test.labels[0]] == 'happy'
  example = test.example_fn(np.int64(0))
  stored = lexical.read(lexical.path(features, 'test'))
  np.testing.assert_allclose(example['text'].numpy(), stored.pooled[:1])


def test_features_must_cover_every_row(corpus_files, tmp_path):
  path, features = corpus_files
  text = path.read_text().replace('test-11,', 'test-99,')
  other = _write(tmp_path / 'other.csv', text)
  with pytest.raises(ValueError, match=r"other.csv, row 72 .*id 'test-99' has no features"):
    loader.load_corpus(_config(other, features).data)
  with pytest.raises(ValueError, match='features_dir is not set'):
    text_corpus.build_corpus(_spec(path))


def test_the_config_reads_per_split_files_labels_and_multi_label(tmp_path):
  config = text_config.get_config(
      'files=train=a.csv+validation=b.tsv+test=c.jsonl,labels=joy+sad,label_separator=;,'
      'feature=tokens')
  assert dict(config.data.text.files) == {'train': 'a.csv', 'validation': 'b.tsv',
                                          'test': 'c.jsonl'}
  assert config.data.text.labels == ('joy', 'sad') and config.data.max_len == 50
  assert config.eval.selection_metric == 'wacc' and config.model.modalities == ('text',)
  with pytest.raises(ValueError, match='files or a preset, not both or neither'):
    text_config.get_config('')


def test_meld_is_a_preset_of_the_text_reader():
  config = text_config.get_config(f'preset=meld,input_dir={MELD_DIR}')
  spec = text_corpus.spec_of(config.data.text)
  assert spec.labels == meld.EMOTIONS
  rows = text_corpus.read_rows(spec)
  assert len(rows) == 9989 + 1109 + 2610
  first_dev = next(r for r in rows if r.part == 'dev')
  reader_keys, _ = meld_keys(meld.csv_path(MELD_DIR, 'validation'))
  assert first_dev.id == reader_keys[0] and first_dev.split == 'validation'
  # configs/meld.py reads the same feature files by part name.
  assert meld.RELEASE_SPLITS['validation'] == first_dev.part
  assert meld_config.get_config(f'manual_dir={MELD_DIR}').data.name == 'meld'


def meld_keys(path):
  rows = meld.read_rows(path)
  return [f"{r['Dialogue_ID'].strip()}_{r['Utterance_ID'].strip()}" for r in rows], rows


def _extractor():
  spec = importlib.util.spec_from_file_location('extract_text', REPO / 'launch/extract_text.py')
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_extraction_resumes_from_saved_chunks_and_records_provenance(tmp_path):
  extract = _extractor()
  path = _write(tmp_path / 'u.csv', 'uid,utterance\n' + ''.join(
      f'u{i},text {i}\n' for i in range(5)))
  args = extract.parse_args([f'--files={path}', '--columns=text=utterance,id=uid',
                             f'--output={tmp_path / "out"}', '--chunk=2'])
  spec = extract.spec_of(args)
  rows = text_corpus.read_rows(spec)
  calls = []

  def encode(texts, fail_after=None):
    calls.append(list(texts))
    if fail_after is not None and len(calls) > fail_after:
      raise KeyboardInterrupt
    vectors = np.array([[float(t.split()[1]), 1.0] for t in texts])
    return vectors, [np.ones((2, 2)) * float(t.split()[1]) for t in texts]

  progress = types.SimpleNamespace(update=lambda n: None)
  note = extract.provenance(spec, str(path), rows[0].part, len(rows), 50, ['--chunk=2'])
  with pytest.raises(KeyboardInterrupt):
    extract.extract_part(lambda t: encode(t, fail_after=2), rows, args.output, chunk_size=2,
                         max_tokens=50, note=note, progress=progress)
  assert len(calls) == 3
  calls.clear()
  features = extract.extract_part(encode, rows, args.output, chunk_size=2, max_tokens=50,
                                  note=note, progress=progress)
  assert calls == [['text 4']]  # the first two chunks were saved before the interruption
  assert list(features.ids) == [f'u{i}' for i in range(5)]
  np.testing.assert_array_equal(features.pooled[:, 0], np.arange(5))
  lexical.write(lexical.path(args.output, 'test'), features)
  extract.remove_partial(args.output)
  assert not (args.output / '.partial').exists()
  stored = json.loads(lexical.read(lexical.path(args.output, 'test')).provenance)
  assert stored['source'] == str(path) and stored['columns']['text'] == 'utterance'
  assert stored['model'] == extract.MODEL_NAME and len(stored['source_sha1']) == 40
