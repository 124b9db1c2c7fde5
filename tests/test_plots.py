"""Pictures of runs: each one renders a non-empty PNG of its documented size; a run's outputs
restore, save and load faithfully; TensorBoard holds every logged scalar; the CLI writes files."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from configs import cmdm as cmdm_config
from emorec import objectives
from emorec.analysis import plots
from emorec.evaluation import predictions
from emorec.training import train

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DPI = 20


@pytest.fixture(scope='module')
def smoke_run(tmp_path_factory):
  """A CMDM smoke run (common codes, four loss terms), trained and evaluated."""
  workdir = str(tmp_path_factory.mktemp('cmdm'))
  config = cmdm_config.get_config('smoke')
  result = train.train_and_evaluate(config, workdir, quiet=True)
  return config, workdir, result, predictions.evaluate_run(config, workdir)


def rendered(figure) -> np.ndarray:
  """The figure's PNG at DPI, decoded to RGB pixels [height, width, 3]."""
  return np.asarray(Image.open(io.BytesIO(plots.png_bytes(figure, DPI))).convert('RGB'))


def assert_picture(figure, inches: tuple[float, float]) -> None:
  pixels = rendered(figure)
  assert pixels.shape[:2] == (round(inches[1] * DPI), round(inches[0] * DPI))
  assert pixels.std() > 0, 'blank picture'


def test_learning_curves_show_every_loss_term_and_metric(smoke_run):
  config, workdir, _, _ = smoke_run
  history = plots.load_history(workdir)
  panels = plots.curve_panels(history)
  terms = objectives.active_terms(config)
  assert {f'train/loss/{name}' for name in terms} <= set(panels)
  assert {'train/loss', 'train/accuracy', 'validation/wa', 'validation/loss',
          'validation/f1 per emotion'} <= set(panels)
  assert set(panels['validation/wa']) == {'fused', 'text', 'audio', 'vision'}
  rows, columns = plots.grid_shape(len(panels))
  width, height = plots.CURVE_PANEL_INCHES
  assert_picture(plots.learning_curves(history), (columns * width, rows * height))


@pytest.mark.parametrize('name, panel, line', [
    ('train/loss', 'train/loss', 'fused'),
    ('train/loss/mmd', 'train/loss/mmd', 'fused'),
    ('validation/text/wa', 'validation/wa', 'text'),
    ('validation/f1/sad', 'validation/f1 per emotion', 'sad'),
    ('validation/auc', 'validation/auc', 'fused'),
])
def test_panel_and_line(name, panel, line):
  assert plots.panel_and_line(name) == (panel, line)


def test_confusion_matrices(smoke_run):
  outputs = smoke_run[3]
  confusion = outputs.confusion()
  assert confusion.sum() == len(outputs.labels)
  np.testing.assert_allclose(plots.row_normalised(confusion).sum(1)[confusion.sum(1) > 0], 1)
  assert_picture(plots.confusion_matrices(confusion, outputs.emotions), plots.CONFUSION_INCHES)


def test_per_class_f1_across_methods(smoke_run):
  outputs = smoke_run[3]
  f1 = {'one': outputs.per_class_f1(), 'other': dict.fromkeys(outputs.emotions, 0.5)}
  assert_picture(plots.per_class_f1(f1, outputs.emotions), plots.F1_INCHES)


def test_code_projections_one_row_per_run(smoke_run):
  outputs = smoke_run[3]
  codes, emotion, modality = plots.code_points(outputs)
  assert codes.shape == (3 * len(outputs.labels), 16) and emotion.shape == modality.shape
  width, height = plots.PROJECTION_ROW_INCHES
  assert_picture(plots.code_projections({'before': outputs, 'after': outputs}),
                 (width, 2 * height))


def test_pca_finds_the_direction_of_largest_variance():
  rng = np.random.default_rng(0)
  points = rng.normal(size=(500, 3)) * np.array([0.1, 5.0, 1.0]) + 7.0
  projected, explained = plots.pca(points)
  assert projected.shape == (500, 2)
  np.testing.assert_allclose(projected.mean(0), 0, atol=1e-9)
  assert explained[0] > 0.9 and explained[1] < 0.1
  np.testing.assert_allclose(np.abs(np.corrcoef(projected[:, 0], points[:, 1])[0, 1]), 1,
                             atol=1e-3)


def test_zero_shot_score_matrix(smoke_run):
  outputs = smoke_run[3]
  rows = plots.rows_by_emotion(outputs.labels, len(outputs.emotions), 3)
  assert np.all(np.diff(outputs.labels[rows]) >= 0)
  logits = outputs.logits.copy()
  logits[:, 2] = -1e4  # an emotion a plain classifier has no output for
  z = plots.standardised(logits)
  np.testing.assert_allclose(z[:, 2], 0)
  np.testing.assert_allclose(z[:, 0].std(), 1, rtol=1e-5)
  figure = plots.zero_shot_scores(outputs.scores(), logits, outputs.labels, outputs.emotions,
                                  ('sad',))
  assert_picture(figure, plots.SCORES_INCHES)


def test_outputs_reproduce_the_reported_test_metrics_and_reload(smoke_run):
  _, workdir, result, outputs = smoke_run
  assert outputs.metrics['test/wa'] == result.metrics['test/wa']
  assert np.isclose(np.trace(outputs.confusion()) / len(outputs.labels), result.metrics['test/wa'])
  np.testing.assert_allclose(outputs.scores().sum(1), 1, rtol=1e-5)
  loaded = predictions.load(workdir)
  assert (loaded.emotions, loaded.unseen) == (outputs.emotions, outputs.unseen)
  np.testing.assert_array_equal(loaded.logits, outputs.logits)
  for modality, code in outputs.codes.items():
    np.testing.assert_array_equal(loaded.codes[modality], code)
    np.testing.assert_array_equal(loaded.present[modality], outputs.present[modality])
  assert loaded.metrics == outputs.metrics


def tensorboard_scalars(workdir: str) -> set[str]:
  """Tags the run's TensorBoard event files hold for the scalars dashboard (TensorFlow 2 marks
  a tag's plugin on its first value)."""
  tags = set()
  for name in os.listdir(workdir):
    if name.startswith('events.out.tfevents'):
      for record in tf.data.TFRecordDataset(os.path.join(workdir, name)):
        event = tf.compat.v1.Event.FromString(record.numpy())
        tags.update(value.tag for value in event.summary.value
                    if value.metadata.plugin_data.plugin_name == 'scalars')
  return tags


def test_tensorboard_holds_every_loss_term_and_metric(smoke_run):
  config, workdir, _, _ = smoke_run
  logged = {name for record in plots.load_history(workdir) for name in record} - {'step'}
  terms = objectives.active_terms(config)
  assert {f'train/loss/{name}' for name in terms} | {
      'train/loss', 'train/accuracy', 'validation/wa', 'validation/f1/sad',
      'validation/text/wa', 'final/test/wa'} <= logged
  assert logged <= tensorboard_scalars(workdir)


def test_launch_evaluate_writes_the_pictures(smoke_run, tmp_path):
  _, workdir, _, _ = smoke_run
  command = [sys.executable, os.path.join(REPO, 'launch', 'evaluate.py'),
             '--config=configs/cmdm.py:smoke', f'--workdir={workdir}', f'--plots={tmp_path}',
             f'--compare=a:{workdir}', f'--compare=b:{workdir}', '--dpi=20']
  run = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
  assert run.returncode == 0, run.stderr[-3000:]
  assert set(os.listdir(tmp_path)) == {
      'learning_curves.png', 'confusion.png', 'codes.png', 'per_class_f1.png',
      'codes_compared.png'}


def test_run_figures_of_a_multi_label_zero_shot_run():
  rng = np.random.default_rng(0)
  emotions = ('happy', 'sad', 'anger')
  outputs = predictions.Outputs(
      emotions=emotions, unseen=('sad',), labels=(rng.random((30, 3)) < 0.4).astype(np.float32),
      logits=rng.normal(size=(30, 3)), codes={'text': rng.normal(size=(30, 8)),
                                              'audio': rng.normal(size=(30, 4))},
      present={'text': np.ones(30, bool), 'audio': np.ones(30, bool)},
      metrics={f'test/wf1/{e}': 0.5 for e in emotions})
  assert outputs.per_class_f1() == dict.fromkeys(emotions, 0.5)
  assert np.all((outputs.scores() > 0) & (outputs.scores() < 1))
  figures = plots.run_figures(outputs)
  assert set(figures) == {'zero_shot_scores'}
  assert_picture(figures['zero_shot_scores'], plots.SCORES_INCHES)
