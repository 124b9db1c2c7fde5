"""Evaluates trained runs on the test split and draws their pictures (emorec/analysis/plots.py).

One run: restores the validation-selected parameters of --workdir's last checkpoint (pass the
config and overrides it was trained with), prints its test metrics, saves its per-utterance
outputs under WORKDIR/evaluation and writes the pictures that apply to it into --plots
(learning curves, confusion matrix, code projection, zero-shot scores):

  python launch/evaluate.py --config=configs/cmdm.py:label_fraction=0.1 \
    --config.train.num_steps=600 --workdir=runs/cmdm --plots=runs/cmdm/plots

(--name=cmdm names the files cmdm_confusion.png, …, so that several runs can share --plots.)

Runs evaluated before, side by side (per-class F1 bars, one code projection per run, in the
order given), with no config needed:

  python launch/evaluate.py --compare=supervised:runs/sup --compare=CMDM:runs/cmdm \
    --plots=runs/compared

Given both, the run is evaluated first, so it can be one of those compared.
"""

from absl import app, flags
from ml_collections import config_flags

from emorec.analysis import plots
from emorec.evaluation import predictions
from emorec.experiments import launcher, report

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file the run was trained with, e.g. configs/cmdm.py[:arg].',
    lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'The trained run to evaluate (with --config).')
_PLOTS = flags.DEFINE_string('plots', None, 'Directory the PNG files are written to.')
_COMPARE = flags.DEFINE_multi_string(
    'compare', [], 'NAME:WORKDIR of a run evaluated before, to compare; repeat for each run.')
_NAME = flags.DEFINE_string(
    'name', '', "Prefix of the run's PNG files (NAME_confusion.png), to share --plots.")
_DPI = flags.DEFINE_integer('dpi', 100, 'Pixels per inch of the PNG files.')


def parse_run(text: str) -> tuple[str, str]:
  """'NAME:WORKDIR' -> (NAME, WORKDIR)."""
  name, _, workdir = text.partition(':')
  if not name or not workdir:
    raise app.UsageError(f'--compare={text!r} is not NAME:WORKDIR.')
  return name, workdir


def main(argv: list[str]) -> None:
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if _CONFIG.value is None and not _COMPARE.value:
    raise app.UsageError('Give --config and --workdir (one run), --compare (runs), or both.')
  paths = []
  if _CONFIG.value is not None:
    if not _WORKDIR.value:
      raise app.UsageError('--config needs the --workdir of the run.')
    outputs = predictions.evaluate_run(_CONFIG.value, _WORKDIR.value)
    print(report.results_table(dict(outputs.metrics)), flush=True)
    figures = plots.run_figures(outputs, plots.load_history(_WORKDIR.value))
    prefix = f'{_NAME.value}_' if _NAME.value else ''
    paths += plots.write_figures({prefix + stem: figure for stem, figure in figures.items()},
                                 _PLOTS.value, _DPI.value)
  if _COMPARE.value:
    runs = {name: predictions.load(workdir) for name, workdir in map(parse_run, _COMPARE.value)}
    paths += plots.write_figures(plots.comparison_figures(runs), _PLOTS.value, _DPI.value)
  print('\n'.join(paths))


if __name__ == '__main__':
  flags.mark_flags_as_required(['plots'])
  launcher.run(main)
