r"""The EmoDB leave-one-speaker-out benchmark: WA and UA of linear probes and neural encoders.

  python launch/extract_audio.py --audio_dir=../shared/data/emodb \
      --labels=../shared/data/emodb/labels.csv --output=runs/emodb_features --sample_rate=22050
  python launch/emodb_benchmark.py --features_dir=runs/emodb_features --num_seeds=5 \
      --workdir=runs/emodb_benchmark --confusion=docs/images/emodb_confusion.png

Rows (--rows, each ENCODER:FEATURE):
  lr:egemaps_functionals, lr:compare_functionals   multinomial logistic regression
      (emorec.probes.logistic_regression) on the speaker-standardised functionals; its L2 strength is
      chosen per fold on the validation speaker's weighted F1. Deterministic: no seeds.
  meanpool|gru|transformer:egemaps_lld|compare_lld|logmel   configs/emodb.py's classifier on
      speaker-standardised frame sequences (10 ms frames averaged 4 at a time: 50 steps), each
      fold trained as one --num_seeds seed ensemble, the checkpoint selected on validation UA.
Every row runs on the --folds (default all 10: each actor tested once, the next actor in
sorted order validating, the other eight training). A row's WA and UA are the means over its
folds; a neural row's ± is the standard deviation of that mean over the seeds, a linear row's
the standard deviation over the folds. Each finished row is kept in --workdir/rows/, so a rerun
only runs what is missing. --confusion writes the confusion matrix (counts and recall shares)
of the row with the best UA, summed over the folds (seed 0's predictions for a neural row).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Mapping, Sequence

import jax
import ml_collections
import numpy as np
import tensorflow as tf
from absl import flags

from emorec.analysis import plots
from emorec.data import loader, pooled
from emorec.evaluation import metrics, predictions
from emorec.experiments import compare, config_args, launcher, report
from emorec.probes import logistic_regression as lr

ENCODERS = {'meanpool': {'model.encoder': 'meanpool'},
            'gru': {'model.encoder': 'gru', 'model.pooling': 'mean'},
            'transformer': {'model.encoder': 'transformer'}}
DEFAULT_ROWS = ['lr:egemaps_functionals', 'lr:compare_functionals',
                *(f'{e}:{f}' for f in ('egemaps_lld', 'compare_lld', 'logmel') for e in ENCODERS)]

_FEATURES_DIR = flags.DEFINE_string('features_dir', None, 'launch/extract_audio.py output.')
_AUDIO_DIR = flags.DEFINE_string('audio_dir', '', 'EmoDB folder (default: configs/emodb.py).')
_ROWS = flags.DEFINE_list('rows', DEFAULT_ROWS, 'ENCODER:FEATURE rows (lr for the probe).')
_FOLDS = flags.DEFINE_list('folds', [str(f) for f in range(1, 11)], 'LOSO folds to run.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 5, 'Seeds per neural ensemble.')
_NUM_STEPS = flags.DEFINE_integer('num_steps', 400, 'Training steps of each ensemble.')
_EVAL_EVERY = flags.DEFINE_integer('eval_every', 50, 'Steps between validation evaluations.')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/emodb_benchmark', 'Runs and results.')
_CONFUSION = flags.DEFINE_string('confusion', '', 'PNG of the best row\'s confusion matrix.')
_L2_GRID = flags.DEFINE_list('l2_grid', [str(v) for v in lr.DEFAULT_L2_GRID],
                             'L2 strengths the probe chooses from on the validation speaker.')
_REFIT = flags.DEFINE_bool('refit', False, 'Refit the probe at its chosen L2 on the training and '
                           'validation speakers together before testing.')

Row = dict[str, Any]


def load_config(feature: str, fold: int) -> ml_collections.ConfigDict:
  """configs/emodb.py for one feature set and fold, reading --features_dir."""
  arg = ','.join(filter(None, (f'feature={feature}', f'fold={fold}',
                               f'features_dir={_FEATURES_DIR.value}',
                               _AUDIO_DIR.value and f'audio_dir={_AUDIO_DIR.value}')))
  checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  return config_args.config_from_spec(f'configs/emodb.py:{arg}', checkout)


def probe_fold(feature: str, fold: int) -> tuple[dict[str, float], np.ndarray]:
  """Test metrics of logistic regression on one fold, and its confusion matrix."""
  corpus = loader.load_corpus(load_config(feature, fold).data)
  train, validation, test = (lr.Dataset(*pooled.pooled_features(corpus, s, 'audio'))
                             for s in ('train', 'validation', 'test'))
  result = lr.fit_and_select(train, validation, test, corpus.emotions,
                             l2_grid=[float(v) for v in _L2_GRID.value])
  predicted = result.test_predictions
  if _REFIT.value:
    both = lr.Dataset(np.concatenate([train.features, validation.features]),
                      np.concatenate([train.labels, validation.labels]))
    standardizer = lr.fit_standardizer(both.features)
    params = lr.fit(lr.standardize(standardizer, both.features), both.labels, result.l2,
                    num_classes=len(corpus.emotions))
    predicted = lr.predict(params, lr.standardize(standardizer, test.features))
  scores = lr.score(test.labels, predicted, corpus.emotions)
  confusion = metrics.confusion_matrix(test.labels, predicted, len(corpus.emotions))
  return {f'test/{k}': v for k, v in scores.items()}, confusion


def neural_fold(encoder: str, feature: str, fold: int, workdir: str,
                confusion: bool) -> tuple[dict[str, float], np.ndarray | None]:
  """Metrics of one fold's seed ensemble (per seed too), and seed 0's confusion matrix."""
  config = load_config(feature, fold)
  overrides = {**ENCODERS[encoder], 'train.num_steps': str(_NUM_STEPS.value),
               'train.eval_every': str(_EVAL_EVERY.value),
               'train.checkpoint_every': str(_NUM_STEPS.value)}
  results = compare.run_variants(config, [(encoder, overrides)], num_seeds=_NUM_SEEDS.value,
                                 workdir=workdir)[encoder]
  if not confusion:
    return results, None
  variant = config_args.apply_overrides(config, {**overrides, 'num_seeds': str(_NUM_SEEDS.value)})
  outputs = predictions.evaluate_run(variant, os.path.join(workdir, '00'))
  return results, metrics.confusion_matrix(outputs.labels, outputs.logits.argmax(-1),
                                           len(outputs.emotions))


def summary(per_fold: Sequence[Mapping[str, float]], num_seeds: int) -> dict[str, float]:
  """WA and UA: fold means; ± over seeds (ensembles) or over folds (one fit per fold)."""
  out = {}
  for key in ('test/wa', 'test/ua'):
    if f'{key}/seed_0' in per_fold[0]:
      per_seed = [np.mean([m[f'{key}/seed_{k}'] for m in per_fold]) for k in range(num_seeds)]
      out[key], out[f'{key}_std'] = float(np.mean(per_seed)), float(np.std(per_seed, ddof=1))
    else:
      values = [m[key] for m in per_fold]
      out[key], out[f'{key}_std'] = float(np.mean(values)), float(np.std(values, ddof=1))
  return out


def run_row(row: str, folds: Sequence[int]) -> Row:
  """One row over the folds, or its saved result when an earlier run finished it."""
  encoder, _, feature = row.partition(':')
  probe = f'_l2_{"_".join(_L2_GRID.value)}{"_refit" if _REFIT.value else ""}'
  path = os.path.join(_WORKDIR.value, 'rows',
                      f'{encoder}_{feature}{probe if encoder == "lr" else ""}.json')
  if os.path.isfile(path):
    with open(path) as f:
      saved = json.load(f)
    if saved['folds'] == list(folds) and saved['num_seeds'] in (None, _NUM_SEEDS.value):
      return saved
  start = time.perf_counter()
  per_fold, confusion = [], 0
  for fold in folds:
    if encoder == 'lr':
      fold_metrics, fold_confusion = probe_fold(feature, fold)
    else:
      fold_metrics, fold_confusion = neural_fold(
          encoder, feature, fold, os.path.join(_WORKDIR.value, f'{encoder}_{feature}', f'{fold:02d}'),
          confusion=True)
    per_fold.append(fold_metrics)
    confusion = confusion + fold_confusion
    print(f'{row} fold {fold}: UA {100 * fold_metrics["test/ua"]:.1f}', flush=True)
  seeds = None if encoder == 'lr' else _NUM_SEEDS.value
  result = {'row': row, 'folds': list(folds), 'num_seeds': seeds,
            'summary': summary(per_fold, seeds or 1), 'per_fold': per_fold,
            'confusion': np.asarray(confusion).tolist(), 'seconds': time.perf_counter() - start}
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w') as f:
    json.dump(result, f, indent=1)
  return result


def table(rows: Sequence[Row]) -> str:
  cells = []
  for row in rows:
    encoder, _, feature = row['row'].partition(':')
    spread = 'folds' if row['num_seeds'] is None else f'{row["num_seeds"]} seeds'
    cells.append([('logistic regression' if encoder == 'lr' else encoder), feature,
                  compare.mean_std(row['summary'], 'test/wa'),
                  compare.mean_std(row['summary'], 'test/ua'), spread, f'{row["seconds"]:.0f}'])
  return report.markdown_table(['model', 'features', 'WA', 'UA', '± over', 'seconds'], cells)


def main(argv: Sequence[str]) -> None:
  del argv
  tf.config.set_visible_devices([], 'GPU')
  # Folds share the shapes of one program: compile it once.
  jax.config.update('jax_compilation_cache_dir', os.path.join(_WORKDIR.value, 'jax_cache'))
  jax.config.update('jax_persistent_cache_min_compile_time_secs', 0.0)
  folds = [int(f) for f in _FOLDS.value]
  rows = [run_row(row, folds) for row in _ROWS.value]
  print(f'\nEmoDB (this 2 s, 22.05 kHz copy), 7 emotions, leave-one-speaker-out over folds '
        f'{folds}: test WA and UA in %\n')
  print(table(rows))
  if _CONFUSION.value:
    best = max(rows, key=lambda r: r['summary']['test/ua'])
    emotions = load_config('egemaps_functionals', 1).data.emotions
    figure = plots.confusion_matrices(np.array(best['confusion']), emotions)
    figure.suptitle(f'EmoDB LOSO, {best["row"]}: test utterances of all folds')
    os.makedirs(os.path.dirname(_CONFUSION.value) or '.', exist_ok=True)
    with open(_CONFUSION.value, 'wb') as f:
      f.write(plots.png_bytes(figure))
    print(f'\nConfusion matrix of {best["row"]}: {_CONFUSION.value}')


if __name__ == '__main__':
  flags.mark_flags_as_required(['features_dir'])
  launcher.run(main)
