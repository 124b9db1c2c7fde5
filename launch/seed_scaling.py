"""Wall time of seed ensembles: `python launch/seed_scaling.py --config=configs/synthetic.py`.

Trains K = 1, 2, 4, 8 replicas in one compiled program each, the replicas vectorized (vmap)
and sequential (lax.map), and prints the median seconds per step and its ratio to K = 1, all
measured side by side in this one process.
"""

from absl import flags
from ml_collections import config_flags

from emorec.experiments import benchmark, launcher, report

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Config file to measure.')
_SEEDS = flags.DEFINE_list('num_seeds', ['1', '2', '4', '8'], 'Ensemble sizes to time.')
_SEED_AXES = flags.DEFINE_list('seed_axis', ['vectorized', 'sequential'],
                               'Seed-axis modes to time (see emorec.training.seeds.over_seeds).')
_STEPS = flags.DEFINE_integer('steps', 20, 'Train steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repeats (the median is reported).')


def main(argv):
  del argv
  counts = [int(k) for k in _SEEDS.value]
  seconds = benchmark.seed_scaling(_CONFIG.value, counts, _SEED_AXES.value, steps=_STEPS.value,
                                   repeats=_REPEATS.value)
  base = next(iter(seconds.values()))
  rows = [[str(k), mode if k > 1 else '-', f'{1000 * s:.2f}', f'{s / base:.2f}',
           f'{s / (k * base):.2f}'] for (k, mode), s in seconds.items()]
  print(report.markdown_table(
      ['K', 'seed_axis', 'ms / step', f'time vs K={counts[0]}', 'time per replica vs K=1'],
      rows))


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  launcher.run(main)
