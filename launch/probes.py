"""Linear probes on pooled features: `python launch/probes.py --config=configs/synthetic.py
--probe=cca [--config.data.label_fraction=0.05 --config.probe.cca_components=16]`.

`--probe` takes one name or a comma-separated list (lr, pca, cca; emorec/probes/run.py says
what each fits); the corpus is pooled once for all of them. Prints validation and test WA/UA.
"""

from absl import app, flags
from ml_collections import config_flags

from emorec.experiments import launcher
from emorec.probes import run
from emorec.training import seeds

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Config whose corpus is probed.')
_PROBES = flags.DEFINE_list('probe', ['lr'], f'Probes: {", ".join(run.PROBES)}.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  config = _CONFIG.value
  for name in _PROBES.value:
    if name not in run.PROBES:
      raise app.UsageError(f'--probe: unknown probe {name!r}; choose from {", ".join(run.PROBES)}.')
  results = run.run_probes(config, _PROBES.value)
  print(f'label share {config.data.label_fraction:g}, data seed {seeds.data_seed(config)}')
  print(f'{"probe":<6} {"dim":>5} {"val WA":>7} {"val UA":>7} {"test WA":>8} {"test UA":>8}')
  for name, metrics in results.items():
    print(f'{name:<6} {int(metrics["probe/dim"]):>5} {100 * metrics["validation/wa"]:>7.1f} '
          f'{100 * metrics["validation/ua"]:>7.1f} {100 * metrics["test/wa"]:>8.1f} '
          f'{100 * metrics["test/ua"]:>8.1f}')


if __name__ == '__main__':
  flags.mark_flags_as_required(['config'])
  launcher.run(main)
