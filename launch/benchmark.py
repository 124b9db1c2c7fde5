"""Speed of a config: `python launch/benchmark.py --config=configs/synthetic.py[:arg]`.

Prints compile time, train/eval/input-pipeline samples per second (medians after warm-up), peak
RSS, FLOPs per train step and the achieved share of a dense matmul peak measured in the same run.
"""

from absl import flags
from ml_collections import config_flags

from emorec.experiments import benchmark, launcher, report

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Config file to measure.')
_STEPS = flags.DEFINE_integer('steps', 20, 'Train/eval steps per timed repeat.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repeats (the median is reported).')


def main(argv):
  del argv
  figures = benchmark.run(_CONFIG.value, steps=_STEPS.value, repeats=_REPEATS.value)
  rows = [[name, f'{value:.4g}'] for name, value in figures.items()]
  print(report.markdown_table(['figure', 'value'], rows))


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  launcher.run(main)
