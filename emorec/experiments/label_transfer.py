"""Cross-corpus label transfer: train on one corpus's labels, score another's label words.

``transfer`` trains (or resumes) a run of the source config, restores its selected
parameters and scores the target corpus's test split with the *target's* label words, looked
up in the run's word vectors: an emotion-embedding head needs no example of a target label.
``held_out`` is the zero-shot case within one corpus: each emotion in turn is kept out of
training (``data.held_out``), then every emotion of the corpus is scored, the held-out one
included. Metrics are per seed replica, summarised as mean ± std (``inference.label_metrics``):
for single-label targets one-vs-rest AUC and F1 of every label, WA, UA and weighted F1.
"""

from __future__ import annotations

import os
from typing import Mapping, NamedTuple, Sequence

import ml_collections

from emorec.data import loader
from emorec.evaluation import inference
from emorec.experiments import compare, config_args, report
from emorec.training import train

Results = dict[str, dict[str, float]]


class Transfer(NamedTuple):
  """Test metrics on the target corpus, its labels, and whether they are multi-label."""

  metrics: dict[str, float]
  labels: tuple[str, ...]
  multi_label: bool


def transfer(config: ml_collections.ConfigDict, target: ml_collections.ConfigDict | None,
             workdir: str) -> Transfer:
  """The test metrics on ``target``'s corpus and labels (None: the source corpus, every
  emotion) of the run of ``config`` in ``workdir`` (trained there first unless it is)."""
  train.train_and_evaluate(config, workdir, quiet=True)
  run = inference.restore_run(config, workdir)
  corpus = run.experiment.corpus if target is None else loader.load_corpus(target.data)
  scored = inference.predict(run, corpus, 'test', corpus.emotions)
  return Transfer(inference.label_metrics(scored, config.eval.get('threshold', 0.5)),
                  scored.labels, scored.multi_label)


SUPERVISED = 'all emotions trained'


def held_out(config: ml_collections.ConfigDict, emotions: Sequence[str], *, num_seeds: int,
             workdir: str) -> Results:
  """{emotion: metrics of the run with ``emotion`` held out}, every emotion scored, and under
  ``SUPERVISED`` the reference run trained on every emotion."""
  results = {}
  for emotion in (*emotions, SUPERVISED):
    held = () if emotion == SUPERVISED else (emotion,)
    variant = config_args.apply_overrides(
        config, {'data.held_out': repr(held), 'data.few_shot': '0.0',
                 'num_seeds': str(num_seeds)})
    run_dir = os.path.join(workdir, 'all_emotions' if emotion == SUPERVISED else emotion)
    results[emotion] = transfer(variant, None, run_dir).metrics
    compare.save(results, os.path.join(workdir, 'results.json'))
  return results


def held_out_table(results: Mapping[str, Mapping[str, float]]) -> str:
  """One row per held-out emotion: its AUC and F1 held out and when trained on (the
  ``SUPERVISED`` run), and the WA and weighted F1 over every emotion with it held out."""
  supervised = results[SUPERVISED]
  rows = []
  for emotion, metrics in results.items():
    if emotion == SUPERVISED:
      continue
    cells = [compare.mean_std(source, key) for source, key in (
        (metrics, f'auc/{emotion}'), (metrics, f'f1/{emotion}'), (supervised, f'auc/{emotion}'),
        (supervised, f'f1/{emotion}'), (metrics, 'wa'), (metrics, 'weighted_f1'))]
    rows.append([emotion, *cells])
  return report.markdown_table(
      ['held out', 'unseen AUC', 'unseen F1', 'trained-on AUC', 'trained-on F1', 'all WA',
       'all weighted F1'], rows)
