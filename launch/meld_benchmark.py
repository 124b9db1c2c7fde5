r"""The real-MELD text-only benchmark: 7-class test scores of emorec's models and a linear probe.

  python launch/meld_benchmark.py --features_dir=/work/meld_features --num_seeds=5 \
      --workdir=runs/meld_benchmark

Trains, each as a --num_seeds ensemble (emorec.experiments.compare.run_variants), on MELD's lexical
features (launch/extract_meld_text.py; text only), with the same encoder and step budget:
  supervised    configs/meld.py: the classifier;
  MTEE          configs/transfer.py:dataset=meld: the emotion-embedding head (text code as wide
                as the emotion word vectors, f_t the identity), otherwise its own defaults;
  CMDM w/o MMD  configs/cmdm.py:dataset=meld,ablation=no_mmd: text alone has no modality pair
                for the MMD, so what is left of CMDM is the autoencoder reconstructing every
                training utterance (the unlabelled stream) beside the classifier;
plus multinomial logistic regression (emorec.probes.logistic_regression) on the pooled sentence
embedding (`text=lexical_pooled`), which is deterministic: one fit, no seeds. Checkpoints, and
the regression's L2 strength, are selected on validation weighted F1. Prints one markdown table
of test weighted F1, WA, UA and macro F1 (mean ± std over seeds) beside the published
utterance-level RoBERTa weighted F1 (not measured here).

Features: by default the token sequences (`text=lexical`, the first --max_len=32 tokens, which
cover 97% of the utterances whole) through the mean-pool encoder (an MLP on each token, then
the mean). In a one-seed check (1500 steps, validation weighted F1) they beat the 384-d sentence
embedding as one frame with the same encoder (55.2 vs 53.3; 54.1 after 4000 steps); a
bidirectional GRU on the tokens did a little better (56.3-56.8) at about 4 times the cost per
step, 9 times for MTEE, whose text code is 384 wide. `--text=lexical_pooled` and
`--encoder=gru` select those instead. The defaults take about 10 minutes on two shared CPU
cores (5 seeds). Rerunning with the same --workdir resumes the ensembles from their checkpoints.
"""

from __future__ import annotations

import json
import os
import time
from typing import Mapping, Sequence

import ml_collections
import tensorflow as tf
from absl import flags

from emorec.data import loader, pooled
from emorec.data.corpus import Corpus
from emorec.experiments import compare, config_args, launcher, report
from emorec.probes import logistic_regression as lr

_FEATURES_DIR = flags.DEFINE_string('features_dir', None, 'MELD lexical features (*.npz).')
_MANUAL_DIR = flags.DEFINE_string('manual_dir', '', 'MELD CSVs (default: configs/meld.py).')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 5, 'Seeds per ensemble.')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/meld_benchmark', 'Runs and results.json.')
_NUM_STEPS = flags.DEFINE_integer('num_steps', 1000, 'Training steps of each ensemble.')
_EVAL_EVERY = flags.DEFINE_integer('eval_every', 100, 'Steps between validation evaluations.')
_TEXT = flags.DEFINE_enum('text', 'lexical', ['lexical', 'lexical_pooled'],
                          'Text features of the trained models.')
_ENCODER = flags.DEFINE_string('encoder', 'meanpool', 'Text encoder of the trained models.')
_MAX_LEN = flags.DEFINE_integer('max_len', 32, 'Tokens kept per utterance (--text=lexical).')
_MODELS = flags.DEFINE_list('models', ['supervised', 'MTEE', 'CMDM w/o MMD', 'LR'],
                            'Rows to run, of: supervised, MTEE, CMDM w/o MMD, LR.')

# The published utterance-level (no dialogue context) RoBERTa weighted F1 on MELD's 7 classes.
PUBLISHED_ROBERTA_WF1 = 62.02
# (title, metric key) of the table's columns.
COLUMNS = (('weighted F1', 'test/weighted_f1'), ('WA', 'test/wa'), ('UA', 'test/ua'),
           ('macro F1', 'test/macro_f1'))


def base_arg(features_dir: str, text: str, manual_dir: str = '') -> str:
  """The configs/meld.py arguments every model shares."""
  return ','.join(filter(None, (f'features_dir={features_dir}', f'text={text}',
                                manual_dir and f'manual_dir={manual_dir}')))


def common_overrides(num_steps: int, eval_every: int) -> dict[str, str]:
  """A fixed step budget, with checkpoints selected on validation weighted F1."""
  return {'train.num_steps': str(num_steps), 'train.num_epochs': 'None',
          'train.eval_every': str(eval_every), 'train.checkpoint_every': str(num_steps),
          'train.early_stopping_evals': '0', 'eval.selection_metric': 'weighted_f1'}


def ensembles(arg: str, encoder: str,
              max_len: int | None = None) -> dict[str, tuple[str, dict[str, str]]]:
  """{row name: (config file and argument, overrides)} of the trained models."""
  encoding = {'model.encoder': encoder}
  if encoder in ('gru', 'lstm'):
    encoding['model.pooling'] = 'mean'
  if max_len:
    encoding['data.max_len'] = str(max_len)
  return {
      'supervised': (f'configs/meld.py:{arg}', encoding),
      'MTEE': (f'configs/transfer.py:dataset=meld,{arg}', encoding),
      'CMDM w/o MMD': (f'configs/cmdm.py:dataset=meld,ablation=no_mmd,{arg}', encoding),
  }


def load_config(spec: str) -> ml_collections.ConfigDict:
  """The config of 'configs/NAME.py:ARG' in this checkout."""
  checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  return config_args.config_from_spec(spec, checkout)


def pooled_split(corpus: Corpus, split: str, modality: str = 'text') -> lr.Dataset:
  """A split's features averaged over frames [N, D] (the frame itself when there is one)."""
  return lr.Dataset(*pooled.pooled_features(corpus, split, modality))


def linear_probe(config: ml_collections.ConfigDict) -> tuple[dict[str, float], lr.Result]:
  """Logistic regression on the pooled text of ``config``'s corpus, its metrics as run_variants'."""
  corpus = loader.load_corpus(config.data)
  train, validation, test = (pooled_split(corpus, s) for s in ('train', 'validation', 'test'))
  result = lr.fit_and_select(train, validation, test, corpus.emotions)
  metrics = {**{f'validation/{k}': v for k, v in result.validation_metrics.items()},
             **{f'test/{k}': v for k, v in result.test_metrics.items()}, 'l2': result.l2}
  return metrics, result


def cell(metrics: Mapping[str, float], key: str) -> str:
  """Percent, ± the seeds' standard deviation when the row is an ensemble."""
  return compare.mean_std(metrics, key) if f'{key}_std' in metrics else f'{100 * metrics[key]:.1f}'


def table(results: Mapping[str, Mapping[str, float]], notes: Mapping[str, str]) -> str:
  """The measured rows, then the published reference."""
  rows = [[name, *(cell(m, key) for _, key in COLUMNS), notes.get(name, '')]
          for name, m in results.items()]
  rows.append(['RoBERTa, utterance-level', f'{PUBLISHED_ROBERTA_WF1:.2f}', '—', '—', '—',
               'published, not measured here'])
  return report.markdown_table(['model', *(t for t, _ in COLUMNS), 'note'], rows)


def main(argv: Sequence[str]) -> None:
  del argv
  tf.config.set_visible_devices([], 'GPU')
  arg = base_arg(_FEATURES_DIR.value, _TEXT.value, _MANUAL_DIR.value)
  overrides = common_overrides(_NUM_STEPS.value, _EVAL_EVERY.value)
  results: dict[str, dict[str, float]] = {}
  notes: dict[str, str] = {}
  timings: dict[str, float] = {}
  features = (f'tokens (≤{_MAX_LEN.value})' if _TEXT.value == 'lexical'
              else 'sentence embedding')
  for index, (name, (spec, own)) in enumerate(ensembles(
      arg, _ENCODER.value, _MAX_LEN.value if _TEXT.value == 'lexical' else None).items()):
    if name not in _MODELS.value:
      continue
    start = time.perf_counter()
    results.update(compare.run_variants(
        load_config(spec), [(name, {**overrides, **own})], num_seeds=_NUM_SEEDS.value,
        workdir=os.path.join(_WORKDIR.value, f'{index:02d}')))
    timings[name] = time.perf_counter() - start
    notes[name] = f'{_NUM_SEEDS.value} seeds; {features}, {_ENCODER.value} encoder'
    print(f'{name}: {timings[name]:.0f} s', flush=True)
  if 'LR' in _MODELS.value:
    start = time.perf_counter()
    pooled = base_arg(_FEATURES_DIR.value, 'lexical_pooled', _MANUAL_DIR.value)
    results['logistic regression'], fitted = linear_probe(load_config(f'configs/meld.py:{pooled}'))
    timings['logistic regression'] = time.perf_counter() - start
    notes['logistic regression'] = (
        f'deterministic, one fit (seeds do not apply); sentence embedding; L2={fitted.l2:g}')
    print(f'logistic regression: {timings["logistic regression"]:.0f} s, validation weighted '
          f'F1 by L2: {fitted.validation_weighted_f1}', flush=True)
  os.makedirs(_WORKDIR.value, exist_ok=True)
  with open(os.path.join(_WORKDIR.value, 'benchmark.json'), 'w') as f:
    json.dump({'results': results, 'seconds': timings, 'notes': notes}, f, indent=1,
              sort_keys=True)
  print(f'\nMELD, 7 emotions, text only: test scores in % (mean ± std over seeds; '
        f'{_NUM_STEPS.value} steps, checkpoints selected on validation weighted F1)\n')
  print(table(results, notes))


if __name__ == '__main__':
  flags.mark_flags_as_required(['features_dir'])
  launcher.run(main)
