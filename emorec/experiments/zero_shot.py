"""The zero-shot benchmark of MTEE: unseen emotions against chance and supervised references.

For each held-out emotion k: MTEE zero-shot (no utterance of k in training), MTEE few-shot
(ceil(1%) + 1 of them), and the plain classifier with k held out, which has no output for k;
against chance (a random guess at each emotion's test prevalence) and the MTEE and plain
classifier trained on every emotion (run once, shared by every k). Each is a seed ensemble.
Columns: the metrics of k alone ('unseen') and their means over every emotion ('all',
generalised zero-shot: seen and unseen emotions scored together).
"""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import ml_collections
import numpy as np

from emorec.data.corpus import Corpus
from emorec.experiments import compare

Results = dict[str, dict[str, float]]
SUPERVISED: tuple[compare.Variant, ...] = (
    ('MTEE, all emotions', {'data.held_out': '()', 'model.head': 'emotion_embedding'}),
    ('classifier, all emotions', {'data.held_out': '()', 'model.head': 'classifier'}),
)


def held_out_variants(emotion: str) -> tuple[compare.Variant, ...]:
  """The runs that keep ``emotion`` out of training."""
  held_out = {'data.held_out': repr((emotion,))}
  return (
      ('MTEE zero-shot', {**held_out, 'data.few_shot': '0.0', 'model.head': 'emotion_embedding'}),
      ('MTEE few-shot', {**held_out, 'data.few_shot': '0.01', 'model.head': 'emotion_embedding'}),
      ('classifier, held out', {**held_out, 'data.few_shot': '0.0', 'model.head': 'classifier'}),
  )


def columns(emotion: str, multi_label: bool) -> compare.Columns:
  """(title, metric key) of the table of ``emotion``."""
  if multi_label:
    return (('unseen WAcc', f'test/wacc/{emotion}'), ('unseen F1', f'test/wf1/{emotion}'),
            ('unseen AUC', f'test/auc/{emotion}'), ('all WAcc', 'test/wacc'),
            ('all F1', 'test/wf1'), ('all AUC', 'test/auc'))
  return (('unseen recall', f'test/recall/{emotion}'), ('unseen F1', f'test/f1/{emotion}'),
          ('all WA', 'test/wa'), ('all UA', 'test/ua'), ('all weighted F1', 'test/weighted_f1'))


def chance(corpus: Corpus) -> dict[str, float]:
  """Expected test metrics of guessing at random with each emotion's test prevalence p.

  Multi-label: WAcc and AUC 1/2, weighted F1 p^2 + (1 - p)^2 per emotion. Single-label
  (a class drawn from the test prior): recall and F1 p per class, WA and weighted F1
  sum p^2, UA 1/K.
  """
  labels = corpus.splits['test'].labels
  if corpus.multi_label:
    rate = labels.mean(axis=0)
    per_emotion = {'wacc': np.full_like(rate, 0.5), 'wf1': rate**2 + (1 - rate)**2,
                   'auc': np.full_like(rate, 0.5)}
    overall = {name: values.mean() for name, values in per_emotion.items()}
  else:
    rate = np.bincount(labels, minlength=corpus.num_classes) / labels.size
    per_emotion = {'recall': rate, 'f1': rate}
    overall = {'wa': np.sum(rate**2), 'ua': 1 / corpus.num_classes,
               'weighted_f1': np.sum(rate**2)}
  metrics = {f'test/{name}': float(v) for name, v in overall.items()}
  for name, values in per_emotion.items():
    metrics.update({f'test/{name}/{e}': float(v) for e, v in zip(corpus.emotions, values)})
  return metrics


def run(config: ml_collections.ConfigDict, emotions: Sequence[str], *, num_seeds: int,
        workdir: str) -> dict[str, Results]:
  """{held-out emotion: {row: summarised metrics}}, the supervised rows shared."""
  supervised = compare.run_variants(config, SUPERVISED, num_seeds=num_seeds,
                                    workdir=os.path.join(workdir, 'all_emotions'))
  return {emotion: {**compare.run_variants(config, held_out_variants(emotion),
                                           num_seeds=num_seeds,
                                           workdir=os.path.join(workdir, emotion)),
                    **supervised}
          for emotion in emotions}


def tables(results: Mapping[str, Results], corpus: Corpus) -> str:
  """One markdown table per held-out emotion, the chance row first."""
  texts = []
  for emotion, rows in results.items():
    table = compare.table({'chance': chance(corpus), **rows},
                          columns(emotion, corpus.multi_label))
    texts.append(f'Held out: {emotion}\n\n{table}')
  return '\n\n'.join(texts)
