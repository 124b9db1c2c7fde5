"""Predictions of a smoke-trained run on any corpus and label set, and cross-corpus transfer."""

import csv
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from configs import transfer as transfer_config
from emorec.data import text_corpus
from emorec.data.real import lexical
from emorec.evaluation import inference
from emorec.experiments import label_transfer
from emorec.training import train
from tests import text_fixtures

REPO = pathlib.Path(__file__).resolve().parents[1]
COLUMNS = 'text=utterance+label=emotion+id=uid'


def _arg(path, features, extra=''):
  return (f'dataset=text,smoke,files={path},columns={COLUMNS},features_dir={features}{extra}')


def _config(path, features, extra=''):
  config = transfer_config.get_config(_arg(path, features, extra))
  config.model.encoder = 'meanpool'
  return config


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A smoke run of MTEE trained on happy/sad/angry utterances (text features only)."""
  directory = tmp_path_factory.mktemp('inference')
  path, features = text_fixtures.write_corpus(directory)
  config = _config(path, features)
  train.train_and_evaluate(config, str(directory / 'run'), quiet=True)
  return inference.restore_run(config, str(directory / 'run')), path, features, directory


def test_the_run_scores_its_test_split_with_its_labels(trained):
  run, *_ = trained
  scored = inference.predict(run, run.experiment.corpus)
  assert scored.labels == ('angry', 'happy', 'sad') and scored.probabilities.shape == (1, 12, 3)
  np.testing.assert_allclose(scored.probabilities.sum(-1), 1.0, rtol=1e-5)
  assert scored.ids[:2] == ('test-0', 'test-1')
  results = inference.label_metrics(scored)
  assert 0.0 <= results['auc/happy'] <= 1.0 and results['scored_share'] == 1.0
  assert results['num_examples'] == 12


def test_new_label_words_are_scored_through_their_vectors(trained):
  run, *_ = trained
  words = ('happy', 'cheerful', 'furious', 'over the moon')
  scored = inference.predict(run, run.experiment.corpus, words=words)
  assert scored.labels == words and scored.probabilities.shape == (1, 12, 4)
  # A word's logit does not depend on the other words scored: the odds of happy against sad
  # are the same with or without new words beside them.
  two = inference.predict(run, run.experiment.corpus, words=('happy', 'sad')).probabilities[0]
  three = inference.predict(run, run.experiment.corpus,
                            words=('happy', 'lonely', 'sad')).probabilities[0]
  np.testing.assert_allclose(np.log(three[:, 0] / three[:, 2]), np.log(two[:, 0] / two[:, 1]),
                             rtol=1e-4, atol=1e-5)
  results = inference.label_metrics(scored)
  # Only the utterances whose gold label is scored (happy: a third) are measured.
  assert results['scored_share'] == pytest.approx(1 / 3)


def test_label_words_without_vectors_are_named(trained):
  run, *_ = trained
  with pytest.raises(ValueError, match=r"'furiuos' \(closest: 'furious'"):
    inference.predict(run, run.experiment.corpus, words=('happy', 'furiuos'))


def test_features_of_another_dimension_are_refused(trained, tmp_path):
  run, path, *_ = trained
  small, small_features = text_fixtures.write_corpus(tmp_path, dim=16)
  corpus = text_corpus.build_corpus(text_corpus.spec_of(text_corpus.spec_fields(
      str(small), columns=COLUMNS, features_dir=str(small_features))))
  with pytest.raises(ValueError, match='text features have dimension 16, the run was trained '
                     'on 384'):
    inference.predict(run, corpus)


def test_the_csv_holds_one_row_per_utterance(trained, tmp_path):
  run, *_ = trained
  scored = inference.predict(run, run.experiment.corpus, words=('sad', 'happy', 'lonely'))
  out = tmp_path / 'p.csv'
  inference.write_csv(scored, str(out))
  with open(out, newline='') as f:
    rows = list(csv.DictReader(f))
  assert list(rows[0]) == ['id', 'gold', 'predicted', 'p_sad', 'p_happy', 'p_lonely']
  assert [r['id'] for r in rows] == list(scored.ids) and rows[0]['gold'] == 'happy'
  first = np.array([float(rows[0][f'p_{w}']) for w in ('sad', 'happy', 'lonely')])
  np.testing.assert_allclose(first, scored.mean()[0], atol=1e-6)
  assert rows[0]['predicted'] == ('sad', 'happy', 'lonely')[int(first.argmax())]


def test_unlabelled_files_are_predicted_without_metrics(trained, tmp_path):
  run, _, features, _ = trained
  new = tmp_path / 'new.csv'
  new.write_text('uid,utterance\ntest-0,hello\ntest-1,bye\n', encoding='utf-8')
  corpus = text_corpus.build_corpus(
      text_corpus.spec_of(text_corpus.spec_fields(str(new), columns='text=utterance+id=uid',
                                                  features_dir=str(features))),
      required_splits=('test',))
  scored = inference.predict(run, corpus, words=('calm', 'anxious'))
  assert scored.gold is None and scored.ids == ('test-0', 'test-1')
  with pytest.raises(ValueError, match='no gold labels'):
    inference.label_metrics(scored)
  inference.write_csv(scored, str(tmp_path / 'p.csv'))
  assert (tmp_path / 'p.csv').read_text().splitlines()[0] == 'id,predicted,p_calm,p_anxious'


def test_a_plain_classifier_scores_only_its_trained_labels(trained, tmp_path):
  _, path, features, _ = trained
  config = _config(path, features, ',baseline')
  train.train_and_evaluate(config, str(tmp_path / 'run'), quiet=True)
  run = inference.restore_run(config, str(tmp_path / 'run'))
  scored = inference.predict(run, run.experiment.corpus, words=('sad', 'happy'))
  assert scored.probabilities.shape == (1, 12, 2)
  with pytest.raises(ValueError, match=r"plain classifier head.*no output for \['cheerful'\]"):
    inference.predict(run, run.experiment.corpus, words=('happy', 'cheerful'))


def test_multi_label_runs_give_per_label_probabilities(tmp_path):
  path, features = text_fixtures.write_corpus(tmp_path)
  text = path.read_text().replace(',happy,', ',happy;surprised,')
  path.write_text(text)
  config = _config(path, features, ',label_separator=;')
  config.num_seeds = 2
  train.train_and_evaluate(config, str(tmp_path / 'run'), quiet=True)
  run = inference.restore_run(config, str(tmp_path / 'run'))
  assert run.multi_label and run.trained_labels == ('angry', 'happy', 'sad', 'surprised')
  scored = inference.predict(run, run.experiment.corpus, words=('happy', 'surprised', 'joy'))
  assert scored.probabilities.shape == (2, 12, 3)
  assert np.all((scored.probabilities > 0) & (scored.probabilities < 1))
  results = inference.label_metrics(scored)
  assert {'wacc/happy', 'auc/surprised', 'wacc_std'} <= set(results)
  assert 'auc/joy' not in results  # no gold column named 'joy'
  inference.write_csv(scored, str(tmp_path / 'p.csv'), threshold=0.0)
  with open(tmp_path / 'p.csv', newline='') as f:
    first = next(csv.DictReader(f))
  assert first['gold'] == 'happy;surprised' and first['predicted'] == 'happy;surprised;joy'


def test_labels_transfer_to_a_corpus_whose_label_words_differ(trained, tmp_path):
  _, path, features, directory = trained
  emotions = ('joy', 'sadness', 'anger')
  other, other_features = text_fixtures.write_corpus(tmp_path, seed=1, emotions=emotions)
  result = label_transfer.transfer(_config(path, features),
                                   _config(other, other_features), str(directory / 'run'))
  assert result.labels == ('anger', 'joy', 'sadness') and not result.multi_label
  assert {f'auc/{e}' for e in emotions} <= set(result.metrics)
  table = inference.metrics_table(result.metrics, result.labels, result.multi_label)
  assert '| joy ' in table and 'All labels: WA' in table


def test_the_predict_command_writes_the_csv_and_the_metrics(trained, tmp_path):
  _, path, features, directory = trained
  out = tmp_path / 'p.csv'
  command = [sys.executable, 'launch/predict.py', f'--config=configs/transfer.py:'
             f'{_arg(path, features)}', '--config.model.encoder=meanpool',
             f'--workdir={directory / "run"}', f'--files={path}', f'--columns={COLUMNS}',
             f'--features_dir={features}', '--labels=happy,sad,furious', f'--output={out}']
  done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                        env={'PYTHONPATH': str(REPO), 'JAX_PLATFORMS': 'cpu'})
  assert done.returncode == 0, done.stderr[-2000:]
  assert 'Wrote 12 predictions over 3 labels' in done.stdout and '| happy' in done.stdout
  assert out.read_text().splitlines()[0] == 'id,gold,predicted,p_happy,p_sad,p_furious'
  assert (tmp_path / 'p.csv.metrics.json').is_file()
  bad = subprocess.run([*command[:-2], '--labels=happy,furiuos', f'--output={out}'], cwd=REPO,
                       capture_output=True, text=True,
                       env={'PYTHONPATH': str(REPO), 'JAX_PLATFORMS': 'cpu'})
  assert bad.returncode == 1 and "predict: No vector" in bad.stderr and 'furious' in bad.stderr


def test_lexical_features_keep_their_provenance(tmp_path):
  features = lexical.pack(['a'], np.ones((1, 2)), [np.ones((1, 2))], 'm', 3, '{"x": 1}')
  lexical.write(tmp_path / 'f.npz', features)
  assert lexical.read(tmp_path / 'f.npz').provenance == '{"x": 1}'


def test_each_held_out_emotion_is_scored_beside_the_all_emotions_reference(trained, tmp_path):
  _, path, features, _ = trained
  results = label_transfer.held_out(_config(path, features), ['sad'], num_seeds=2,
                                    workdir=str(tmp_path))
  assert list(results) == ['sad', label_transfer.SUPERVISED]
  assert 'auc/sad_std' in results['sad'] and results['sad']['scored_share'] == 1.0
  assert (tmp_path / 'results.json').is_file() and (tmp_path / 'all_emotions').is_dir()
  table = label_transfer.held_out_table(results)
  assert table.splitlines()[2].startswith('| sad ') and len(table.splitlines()) == 3
