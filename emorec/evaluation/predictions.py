"""Per-utterance outputs of a trained run on the test split: scores, codes and labels.

`evaluate_run(config, workdir)` restores the validation-selected parameters of a run (those
`train_and_evaluate` reports), scores the test split with `Experiment.evaluator` (the metrics of
`emorec.evaluation.evaluate`) and keeps, per utterance, the logits of every emotion of the corpus and each
modality's code: the common code z_m when `model.code_dim` is set, else the encoder output h_m.
It saves them under `workdir/evaluation/`, so that `load(workdir)` can compare runs trained
with different configs without their configs. Of a seed ensemble, the per-utterance outputs
are replica 0's and the metrics summarise every replica (`seeds.summarize`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Mapping

import jax
import ml_collections
import numpy as np
from jax.sharding import Mesh

from emorec.evaluation import evaluate, metrics, protocols
from emorec.training import checkpoints, seeds, sharding, train

EVALUATION_DIR = 'evaluation'
_ARRAYS = 'outputs.npz'
_METRICS = 'metrics.json'


@dataclasses.dataclass(frozen=True)
class Outputs:
  """A run's test outputs, one row per utterance.

  Attributes:
    emotions: the corpus's K emotions, in column order.
    unseen: the emotions held out of training (`data.held_out`).
    labels: int [N] class ids, or {0, 1} [N, K] for multi-label corpora.
    logits: float [N, K]; an emotion the model has no output for holds
      `evaluate.UNKNOWN_LOGIT`.
    codes: {modality: float [N, D_m]}.
    present: {modality: bool [N]}, whether the utterance has the modality.
    metrics: the test metrics, keyed as `train_and_evaluate` reports them ('test/wa', …).
  """

  emotions: tuple[str, ...]
  unseen: tuple[str, ...]
  labels: np.ndarray
  logits: np.ndarray
  codes: Mapping[str, np.ndarray]
  present: Mapping[str, np.ndarray]
  metrics: Mapping[str, float]

  @property
  def multi_label(self) -> bool:
    return self.labels.ndim == 2

  def scores(self) -> np.ndarray:
    """Probabilities [N, K]: a softmax over emotions, or each emotion's sigmoid (multi-label)."""
    if self.multi_label:
      return 1 / (1 + np.exp(-self.logits))
    shifted = np.exp(self.logits - self.logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)

  def confusion(self) -> np.ndarray:
    """Counts [K, K] of (true, predicted) emotions (single-label corpora)."""
    if self.multi_label:
      raise ValueError('a multi-label run has no confusion matrix.')
    return metrics.confusion_matrix(self.labels, self.logits.argmax(-1), len(self.emotions))

  def per_class_f1(self) -> dict[str, float]:
    """Test F1 of each emotion ('test/f1/…', or the weighted binary 'test/wf1/…')."""
    name = 'wf1' if self.multi_label else 'f1'
    return {e: self.metrics[f'test/{name}/{e}'] for e in self.emotions}


def first_replica(params: Any, num_seeds: int) -> Any:
  """Replica 0 of a seed ensemble's parameters (the parameters themselves when K = 1)."""
  return params if num_seeds == 1 else jax.tree.map(lambda x: x[0], params)


def restore_selected(experiment: train.Experiment, workdir: str) -> Any:
  """The validation-selected parameters of the latest checkpoint in `workdir`."""
  if not os.path.isdir(os.path.join(workdir, 'checkpoints')):
    raise FileNotFoundError(f'{workdir} holds no checkpoints; train the run first.')
  like = experiment.initial_state()
  manager = checkpoints.manager(workdir, max_to_keep=experiment.config.train.max_checkpoints)
  try:
    step = manager.latest_step()
    if step is None:
      raise FileNotFoundError(f'{workdir}/checkpoints holds no finished checkpoint.')
    _, selection = checkpoints.restore(manager, step, like, experiment.initial_selection(like))
  finally:
    manager.close()
  return selection['params']


def make_output_step(model: Any, mesh: Mesh, label_key: str, *, columns: np.ndarray | None,
                     num_classes: int) -> evaluate.EvalStep:
  """A jitted step giving a batch's logits over `num_classes` emotions (see
  `evaluate.place_columns`), codes, presence, labels and validity, gathered on every process."""

  def step(params: Any, batch: Mapping[str, jax.Array]) -> dict[str, Any]:
    logits, aux = model.apply({'params': params}, batch, train=False)
    return {
        'logits': evaluate.place_columns(logits, columns, num_classes),
        'codes': aux.get('common_codes', aux['codes']),
        'present': aux['present'],
        'labels': batch[label_key],
        'valid': batch['valid'],
    }

  return jax.jit(step, out_shardings=sharding.replicated(mesh))


def collect(experiment: train.Experiment, params: Any) -> Outputs:
  """The test outputs of `params` (the corpus's every emotion scored, see
  `protocols.scoring_model`)."""
  corpus = experiment.corpus
  model, columns = protocols.scoring_model(
      experiment.model, experiment.view.emotions, corpus.emotions)
  step = make_output_step(model, experiment.mesh, corpus.label_key, columns=columns,
                          num_classes=corpus.num_classes)
  replica = first_replica(params, experiment.num_seeds)
  parts = [jax.device_get(step(replica, sharding.to_global(batch, experiment.mesh)))
           for batch in train.eval_batches(experiment.config, corpus, 'test', experiment.mesh)]
  rows = jax.tree.map(lambda *xs: np.concatenate(xs), *parts)
  keep = rows.pop('valid') > 0
  rows = jax.tree.map(lambda x: x[keep], rows)
  per_seed = experiment.evaluator()(params, 'test')
  return Outputs(
      emotions=tuple(corpus.emotions),
      unseen=tuple(experiment.config.data.get('held_out', ())),
      labels=rows['labels'],
      logits=rows['logits'],
      codes=rows['codes'],
      present={m: p.astype(bool) for m, p in rows['present'].items()},
      metrics={f'test/{k}': v for k, v in seeds.summarize(per_seed).items()})


def save(outputs: Outputs, directory: str) -> None:
  """Writes `outputs` into `directory` (arrays as .npz, metrics as JSON)."""
  os.makedirs(directory, exist_ok=True)
  np.savez(os.path.join(directory, _ARRAYS), emotions=np.array(outputs.emotions),
           unseen=np.array(outputs.unseen, dtype=str), labels=outputs.labels,
           logits=outputs.logits, **{f'codes_{m}': x for m, x in outputs.codes.items()},
           **{f'present_{m}': x for m, x in outputs.present.items()})
  with open(os.path.join(directory, _METRICS), 'w') as f:
    json.dump(dict(outputs.metrics), f, indent=1, sort_keys=True)


def _prefixed(arrays: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
  return {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}


def load(workdir: str) -> Outputs:
  """The outputs `evaluate_run` saved for the run in `workdir`."""
  directory = os.path.join(workdir, EVALUATION_DIR)
  if not os.path.exists(os.path.join(directory, _ARRAYS)):
    raise FileNotFoundError(f'{directory} holds no outputs; evaluate the run first '
                            '(launch/evaluate.py --config=… --workdir=…).')
  with np.load(os.path.join(directory, _ARRAYS)) as arrays:
    arrays = dict(arrays)
  with open(os.path.join(directory, _METRICS)) as f:
    run_metrics = json.load(f)
  return Outputs(
      emotions=tuple(arrays['emotions'].tolist()), unseen=tuple(arrays['unseen'].tolist()),
      labels=arrays['labels'], logits=arrays['logits'], codes=_prefixed(arrays, 'codes_'),
      present=_prefixed(arrays, 'present_'), metrics=run_metrics)


def evaluate_run(config: ml_collections.ConfigDict, workdir: str) -> Outputs:
  """Restores the run `config` trained in `workdir`, collects its test outputs and saves them
  under `workdir/evaluation/`."""
  experiment = train.build_experiment(config)
  outputs = collect(experiment, restore_selected(experiment, workdir))
  if jax.process_index() == 0:
    save(outputs, os.path.join(workdir, EVALUATION_DIR))
  return outputs
