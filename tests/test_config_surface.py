"""One config surface: every term in every config, derived fields, clear override errors and a
quiet console."""

import os
import re
import subprocess
import sys

import jax
import numpy as np
import pytest

from emorec import objectives
from emorec.experiments import config_args, launcher
from emorec.training import sharding, train

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = ('synthetic', 'cmdm', 'contrastive', 'transfer')


def load(spec: str, **overrides: str):
  return config_args.apply_overrides(config_args.config_from_spec(spec, REPO), overrides)


@pytest.mark.parametrize('name', CONFIGS)
def test_every_config_has_every_term_and_its_options(name):
  config = load(f'configs/{name}.py:smoke')
  assert set(config.objective) == set(objectives.TERMS)
  assert {'cmdm', 'contrastive'} <= set(config)
  assert {'reconstruction', 'critic_hidden', 'head', 'emotion_embedding'} <= set(config.model)


# The four mixes that used to end in AttributeError, one of each kind: a CMDM config with the
# contrastive term, MTEE with MMD, CR with MMD, the baseline with CR.
MIXES = [
    ('configs/cmdm.py:smoke', {'objective.contrastive': '0.3'}, {'contrastive', 'mmd'}),
    ('configs/transfer.py:smoke', {'objective.mmd': '1.0'}, {'mmd'}),
    ('configs/contrastive.py:smoke', {'objective.mmd': '1.0'}, {'mmd', 'contrastive'}),
    ('configs/synthetic.py:smoke', {'objective.contrastive': '0.3'}, {'contrastive'}),
]


@pytest.mark.parametrize('spec, overrides, terms', MIXES, ids=[m[0] for m in MIXES])
def test_terms_mix_from_one_override_and_take_a_step(spec, overrides, terms):
  config = load(spec, num_devices='1', **overrides)
  experiment = train.build_experiment(config)
  assert terms <= set(experiment.terms)
  state = experiment.initial_state()
  batch = sharding.to_global(next(experiment.train_batches(0)), experiment.mesh)
  state, metrics = experiment.train_step()(state, batch, jax.random.key(0))
  metrics = jax.device_get(metrics)
  for term in terms:
    assert np.isfinite(metrics[f'loss/{term}'])
  assert float(metrics['grad_norm']) > 0


def test_parts_follow_the_active_terms():
  base = load('configs/synthetic.py:smoke')
  plain = objectives.resolve(base).model
  assert (plain.code_dim, plain.reconstruction, plain.critic_hidden) == (0, '', 0)
  mixed = objectives.resolve(load('configs/synthetic.py:smoke', **{
      'objective.reconstruction': '1.0', 'objective.mmd': '1.0', 'objective.contrastive': '0.3'}))
  assert mixed.model.code_dim == mixed.model.hidden
  assert mixed.model.reconstruction == 'statistics'
  assert mixed.model.critic_hidden == base.model.critic_hidden
  assert mixed.model.critic_pairs == mixed.contrastive.pairs


def test_derived_widths_follow_their_field():
  config = objectives.resolve(load('configs/cmdm.py:smoke', **{'model.hidden': '24'}))
  assert (config.model.code_dim, config.model.decoder_width) == (24, 24)
  assert objectives.resolve(config).to_dict() == config.to_dict()  # idempotent


@pytest.mark.parametrize('overrides, message', [
    ({'objective.contrastiv': '0.3'},
     r"unknown config field 'objective.contrastiv'; did you mean 'objective.contrastive'"),
    ({'modle.hidden': '3'}, r"unknown config field 'modle.hidden'; did you mean 'model.hidden'"),
    ({'train.num_steps': 'many'}, r"config field 'train.num_steps' expects int, got 'many'"),
    ({'model.common_code': '3'}, r"config field 'model.common_code' expects bool, got '3'"),
    ({'train': '3'}, r"config field 'train' is a section"),
])
def test_bad_overrides_get_one_clear_line(overrides, message):
  with pytest.raises(ValueError, match=message) as error:
    load('configs/cmdm.py:smoke', **overrides)
  assert '\n' not in str(error.value)


def test_overrides_convert_to_the_field_type():
  config = load('configs/synthetic.py:smoke', **{
      'train.learning_rate': '1', 'model.common_code': 'true', 'model.encoder': '7',
      'model.modalities': "['text', 'audio']"})
  assert config.train.learning_rate == 1.0 and isinstance(config.train.learning_rate, float)
  assert config.model.common_code is True and config.model.encoder == '7'
  assert config.model.modalities == ('text', 'audio')


def test_command_line_overrides_are_read_in_both_spellings():
  argv = ['train.py', '--config', 'configs/cmdm.py:smoke', '--config.train.num_steps=3',
          '--config.model.hidden', '8', '--workdir=/tmp/x', '--config.cmdm.mmd_on_labelled']
  assert launcher.config_arguments(argv) == ('configs/cmdm.py:smoke', {
      'train.num_steps': '3', 'model.hidden': '8', 'cmdm.mmd_on_labelled': 'true'})


def _train_command(*args: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, os.path.join(REPO, 'launch', 'train.py'), *args],
                        cwd=REPO, capture_output=True, text=True, timeout=600)


def test_a_misspelt_override_is_one_line_without_traceback():
  run = _train_command('--config=configs/cmdm.py:smoke', '--config.objective.contrastiv=0.3',
                       '--workdir=/tmp/never_written')
  assert run.returncode == 2
  assert run.stderr.strip().count('\n') == 0
  assert "did you mean 'objective.contrastive'" in run.stderr
  assert 'Traceback' not in run.stdout + run.stderr


def test_a_smoke_run_prints_its_own_lines_only(tmp_path):
  run = _train_command('--config=configs/synthetic.py:smoke', f'--workdir={tmp_path}')
  assert run.returncode == 0, run.stderr
  lines = (run.stdout + run.stderr).strip().splitlines()
  library = [line for line in lines if re.match(r'^[IWE]\d{4} |INFO|WARNING:absl', line)]
  assert not library, library
  progress = [line for line in lines if line.startswith('step ')]
  evaluations = [line for line in lines if line.startswith('eval ')]
  # 6 steps logged every 2, evaluated every 3; the model line; the results table (11 lines).
  assert len(progress) == 3 and len(evaluations) == 2
  assert progress[-1].startswith('step 6/6 | loss ') and 'steps/s | ETA ' in progress[-1]
  assert len(lines) <= 20, lines
