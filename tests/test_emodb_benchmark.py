"""The EmoDB benchmark's summary: fold means, spread over seeds for ensembles, over folds else."""

import numpy as np
import pytest

from launch import emodb_benchmark


def test_ensemble_rows_spread_over_seeds_of_the_fold_means():
  per_fold = [{'test/wa/seed_0': 0.5, 'test/wa/seed_1': 0.7, 'test/ua/seed_0': 0.4,
               'test/ua/seed_1': 0.6},
              {'test/wa/seed_0': 0.7, 'test/wa/seed_1': 0.9, 'test/ua/seed_0': 0.6,
               'test/ua/seed_1': 0.6}]
  out = emodb_benchmark.summary(per_fold, num_seeds=2)
  assert out['test/wa'] == pytest.approx(0.7) and out['test/ua'] == pytest.approx(0.55)
  assert out['test/wa_std'] == pytest.approx(np.std([0.6, 0.8], ddof=1))
  assert out['test/ua_std'] == pytest.approx(np.std([0.5, 0.6], ddof=1))


def test_deterministic_rows_spread_over_folds():
  out = emodb_benchmark.summary([{'test/wa': 0.5, 'test/ua': 0.4},
                                 {'test/wa': 0.9, 'test/ua': 0.8}], num_seeds=1)
  assert out['test/wa'] == pytest.approx(0.7)
  assert out['test/ua_std'] == pytest.approx(np.std([0.4, 0.8], ddof=1))
