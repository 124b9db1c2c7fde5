"""The training loop on the smoke config: learning, determinism, resume, devices, processes."""

import os
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from configs import synthetic as synthetic_config
from emorec import objectives
from emorec.data import loader
from emorec.models import build_model
from emorec.training import checkpoints, sharding, train
from tests import conftest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def smoke_config(**overrides):
  config = synthetic_config.get_config('smoke')
  for dotted, value in overrides.items():
    node = config
    *parents, leaf = dotted.split('.')
    for parent in parents:
      node = node[parent]
    node[leaf] = value
  return config


def assert_trees_close(a, b, **tolerance):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), **tolerance)


def saved_params(workdir, **overrides):
  """Parameters of the latest checkpoint in `workdir`, restored onto this process's devices."""
  experiment = train.build_experiment(smoke_config(**overrides))
  like = experiment.initial_state()
  manager = checkpoints.manager(workdir, max_to_keep=1)
  state, _ = checkpoints.restore(
      manager, manager.latest_step(), like, experiment.initial_selection(like))
  manager.close()
  return state.params


@pytest.fixture(scope='module')
def smoke_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('smoke'))
  return train.train_and_evaluate(smoke_config(), workdir, quiet=True), workdir


def test_smoke_run_reports_metrics(smoke_run):
  result, workdir = smoke_run
  assert result.completed and int(result.state.step) == 6
  for key in ('validation/wa', 'test/wa', 'test/ua', 'test/weighted_f1', 'test/text/wa'):
    assert 0.0 <= result.metrics[key] <= 1.0, key
  assert 0.5 < result.metrics['bayes_accuracy'] < 1.0
  assert os.path.exists(os.path.join(workdir, 'results.json'))
  assert os.path.exists(os.path.join(workdir, 'metrics.jsonl'))
  assert any(name.startswith('events.out.tfevents') for name in os.listdir(workdir))


def test_same_seed_same_numbers(smoke_run, tmp_path):
  result, _ = smoke_run
  again = train.train_and_evaluate(smoke_config(), str(tmp_path), quiet=True)
  assert again.metrics == result.metrics
  assert_trees_close(again.state.params, result.state.params, rtol=0, atol=0)


def test_loss_decreases_on_a_fixed_batch():
  config = smoke_config()
  corpus = loader.load_corpus(config.data)
  mesh = sharding.make_data_mesh(1)
  model = build_model(objectives.resolve(config).model, corpus.modality_dims, corpus.num_classes)
  tx = train.make_optimizer(config.train, 100)
  batch = next(train.train_batches(config, corpus, np.arange(64), mesh, 0))
  batch = sharding.to_global({'labelled': batch['labelled']}, mesh)
  state = train.create_train_state(
      model, tx, train.dummy_batch(corpus, config.model.modalities, config.data.max_len),
      jax.random.key(0), mesh)
  step = jax.jit(lambda s, b: train.train_step(
      s, b, jax.random.key(1), terms=objectives.active_terms(config)))
  losses = []
  for _ in range(40):
    state, metrics = step(state, batch)
    losses.append(float(metrics['loss']))
  assert losses[-1] < 0.5 * losses[0]


def test_one_device_and_four_devices_agree(smoke_run, tmp_path):
  four, _ = smoke_run
  assert jax.device_count() == 4
  one = train.train_and_evaluate(smoke_config(num_devices=1), str(tmp_path / 'one'), quiet=True)
  assert_trees_close(one.state.params, four.state.params, rtol=1e-4, atol=1e-5)


def _train_command(workdir, *flags):
  return [sys.executable, os.path.join(REPO, 'launch', 'train.py'),
          '--config=' + os.path.join(REPO, 'configs', 'synthetic.py') + ':smoke',
          f'--workdir={workdir}', *flags]


def _finished_steps(workdir):
  directory = os.path.join(workdir, 'checkpoints')
  names = os.listdir(directory) if os.path.isdir(directory) else []
  return [int(name) for name in names if name.isdigit()]


def _env(num_devices):
  env = dict(os.environ, PYTHONPATH=REPO, JAX_PLATFORMS='cpu')
  env['XLA_FLAGS'] = conftest.xla_flags(num_devices)
  return env


def test_killed_run_resumes_to_the_same_parameters(tmp_path):
  flags = ['--config.train.num_steps=30', '--config.train.checkpoint_every=4']
  workdir = str(tmp_path / 'killed')
  process = subprocess.Popen(_train_command(workdir, *flags), env=_env(4),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  deadline = time.time() + 120
  while time.time() < deadline and not any(8 <= s for s in _finished_steps(workdir)):
    time.sleep(0.05)
  process.send_signal(signal.SIGKILL)
  process.wait()
  finished = _finished_steps(workdir)
  assert finished and max(finished) < 30, f'the run was not interrupted: {finished}'
  subprocess.run(_train_command(workdir, *flags), env=_env(4), check=True,
                 capture_output=True)
  steps = {'train.num_steps': 30}
  # The uninterrupted reference runs in this process, on the same four devices.
  whole = train.train_and_evaluate(smoke_config(**steps, **{'train.checkpoint_every': 4}),
                                   str(tmp_path / 'whole'), quiet=True)
  assert_trees_close(saved_params(workdir, **steps), whole.state.params, rtol=0, atol=0)


def test_two_processes_match_one(smoke_run, tmp_path):
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
  workdir = str(tmp_path / 'two')
  processes = [
      subprocess.Popen(
          _train_command(workdir, f'--coordinator_address=127.0.0.1:{port}',
                         '--num_processes=2', f'--process_id={i}'),
          env=_env(2), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
      for i in range(2)
  ]
  outputs = [p.communicate(timeout=300)[0].decode() for p in processes]
  for p, out in zip(processes, outputs):
    assert p.returncode == 0, out[-3000:]
  one, _ = smoke_run
  assert_trees_close(saved_params(workdir), one.state.params, rtol=1e-4, atol=1e-5)


def test_sigterm_saves_and_stops(tmp_path):
  workdir = str(tmp_path / 'term')
  process = subprocess.Popen(
      _train_command(workdir, '--config.train.num_steps=100000',
                     '--config.train.checkpoint_every=100000', '--config.train.eval_every=100000'),
      env=_env(1), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
  deadline = time.time() + 120
  while time.time() < deadline and not os.path.exists(os.path.join(workdir, 'metrics.jsonl')):
    time.sleep(0.1)
  process.send_signal(signal.SIGTERM)
  out = process.communicate(timeout=120)[0].decode()
  assert process.returncode == 0, out[-3000:]
  assert 'rerun the same command to resume' in out
  steps = _finished_steps(workdir)
  assert steps and 0 < max(steps) < 100000


@pytest.mark.parametrize('field, value, message', [
    ('model.encoder', 'wavenet', "unknown encoder 'wavenet'"),
    ('train.batch_size', 18, 'not divisible by the 4 devices'),
    ('data.label_fraction', 1.5, 'label_fraction must be in'),
])
def test_bad_config_values_get_clear_errors(tmp_path, field, value, message):
  with pytest.raises(ValueError, match=message):
    train.train_and_evaluate(smoke_config(**{field: value}), str(tmp_path), quiet=True)


def test_unknown_objective_term_is_named(tmp_path):
  config = smoke_config()
  with config.unlocked():
    config.objective.telepathy = 1.0
  with pytest.raises(ValueError, match="unknown objective term 'telepathy'"):
    train.train_and_evaluate(config, str(tmp_path), quiet=True)


def test_trimmed_padding_changes_no_number_of_a_recurrent_step():
  def first_step(trim_padding):
    # Without dropout: its random draws follow the frame count, real frames included.
    config = smoke_config(**{'data.max_len': 32, 'model.encoder': 'lstm', 'model.dropout': 0.0,
                             'model.modalities': ('text',), 'train.trim_padding': trim_padding})
    experiment = train.build_experiment(config)
    batch = next(experiment.train_batches(0))
    state, metrics = experiment.train_step()(
        experiment.initial_state(), sharding.to_global(batch, experiment.mesh),
        experiment.rngs()[1])
    return batch['labelled']['text'].shape[1], jax.device_get((state.params, metrics))

  full_frames, full = first_step(0)
  cut_frames, cut = first_step(4)
  assert full_frames == 32 and cut_frames < 32 and cut_frames % 4 == 0
  assert_trees_close(cut, full, rtol=1e-5, atol=1e-6)


def test_trimming_refuses_a_fixed_length_encoder():
  config = smoke_config(**{'train.trim_padding': 4})
  config.model.modality_encoder.audio = 'spectrogram_cnn'
  with pytest.raises(ValueError, match='spectrogram_cnn of audio'):
    train.build_experiment(config)
