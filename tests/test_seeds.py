"""Seed ensembles: K replicas in one program equal K single-seed runs, and resume exactly."""

import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from emorec.experiments import report
from emorec.training import seeds, train
from tests.test_train import assert_trees_close, smoke_config


@pytest.fixture(scope='module')
def ensemble(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('ensemble'))
  return train.train_and_evaluate(smoke_config(num_seeds=2), workdir, quiet=True), workdir


def test_replica_equals_the_single_seed_run(ensemble, tmp_path):
  result, _ = ensemble
  single = train.train_and_evaluate(
      smoke_config(seed=1, **{'data.seed': 0}), str(tmp_path), quiet=True)
  replica = jax.tree.map(lambda x: x[1], result.state.params)
  assert_trees_close(replica, single.state.params, rtol=1e-4, atol=1e-5)
  assert abs(result.metrics['test/wa/seed_1'] - single.metrics['test/wa']) < 1e-6


def test_replicas_differ_and_are_summarised(ensemble):
  result, _ = ensemble
  first, second = (jax.tree.map(lambda x, k=k: x[k], result.state.params) for k in range(2))
  assert not np.allclose(jax.tree.leaves(first)[0], jax.tree.leaves(second)[0])
  values = [result.metrics[f'test/wa/seed_{k}'] for k in range(2)]
  assert result.metrics['test/wa'] == pytest.approx(np.mean(values))
  assert result.metrics['test/wa_std'] == pytest.approx(np.std(values, ddof=1))
  assert '±' in report.results_table(result.metrics)


def test_ensemble_resumes_from_an_earlier_checkpoint(ensemble, tmp_path):
  result, workdir = ensemble
  copy = str(tmp_path / 'copy')
  shutil.copytree(workdir, copy)
  shutil.rmtree(os.path.join(copy, 'checkpoints', '6'))
  resumed = train.train_and_evaluate(smoke_config(num_seeds=2), copy, quiet=True)
  assert_trees_close(resumed.state.params, result.state.params, rtol=0, atol=0)
  assert resumed.metrics == result.metrics


def test_replica_keys_match_single_seed_keys():
  config = smoke_config(num_seeds=3, seed=5)
  init_keys, dropout_keys = seeds.replica_keys(config)
  for k in range(3):
    init_key, dropout_key = seeds.replica_keys(smoke_config(seed=5 + k))
    np.testing.assert_array_equal(jax.random.key_data(init_keys[k]),
                                  jax.random.key_data(init_key))
    np.testing.assert_array_equal(jax.random.key_data(dropout_keys[k]),
                                  jax.random.key_data(dropout_key))


def test_num_seeds_must_be_positive():
  with pytest.raises(ValueError, match='num_seeds must be at least 1'):
    seeds.num_seeds(smoke_config(num_seeds=0))


@pytest.mark.parametrize('mode', ['vectorized', 'sequential', 'auto'])
def test_over_seeds_maps_only_the_seed_axis(mode):
  weights = jnp.arange(6.0).reshape(3, 2)  # 3 seeds
  shared = jnp.array([1.0, 10.0])

  def fn(w, x, scale):
    return {'dot': w @ x * scale}

  out = jax.jit(seeds.over_seeds(fn, (0, None, 0), mode))(weights, shared, jnp.array([1., 2., 3.]))
  np.testing.assert_allclose(out['dot'], [10.0, 64.0, 162.0])


def test_over_seeds_rejects_unknown_mode():
  with pytest.raises(ValueError, match="seed_axis must be one of"):
    seeds.over_seeds(lambda x: x, (0,), 'parallel')
