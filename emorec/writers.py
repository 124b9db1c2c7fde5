"""Metric writers: TensorBoard events, a readable stdout line and a JSON-lines file per run."""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

import jax
import numpy as np
from clu import metric_writers


def _scalar_text(value: Any) -> str:
  value = float(np.asarray(value))
  return f'{value:.4g}'


class _ScalarWriter(metric_writers.MetricWriter):
  """Base of writers that record scalars only; every other kind of summary is ignored."""

  def write_summaries(self, step, values, metadata=None):
    pass

  def write_images(self, step, images):
    pass

  def write_videos(self, step, videos):
    pass

  def write_audios(self, step, audios, *, sample_rate):
    pass

  def write_texts(self, step, texts):
    pass

  def write_histograms(self, step, arrays, num_buckets=None):
    pass

  def write_pointcloud(self, step, point_clouds, *, point_colors=None, configs=None):
    pass

  def write_hparams(self, hparams):
    pass

  def flush(self):
    pass

  def close(self):
    pass


_DETAIL_PARTS = ('precision/', 'recall/', 'f1/', 'num_examples')


def _is_headline(name: str) -> bool:
  """Whether a scalar belongs on the console (per-class details stay in the event files)."""
  return not any(part in name and not name.endswith('_f1') for part in _DETAIL_PARTS)


class StdoutWriter(_ScalarWriter):
  """Prints headline scalars as one line per step: `step 200 | loss 0.53 | accuracy 0.81`."""

  def write_scalars(self, step: int, scalars: Mapping[str, Any]):
    shown = {k: v for k, v in scalars.items() if _is_headline(k)}
    fields = ' | '.join(f'{k} {_scalar_text(v)}' for k, v in sorted(shown.items()))
    print(f'step {step} | {fields}', flush=True)


class JsonlWriter(_ScalarWriter):
  """Appends `{"step": s, name: value, …}` lines to a file: learning curves for notebooks."""

  def __init__(self, path: str):
    self._path = path

  def write_scalars(self, step: int, scalars: Mapping[str, Any]):
    record = {'step': int(step), **{k: float(np.asarray(v)) for k, v in scalars.items()}}
    with open(self._path, 'a') as f:
      f.write(json.dumps(record) + '\n')


def make_writer(workdir: str, *, quiet: bool = False) -> metric_writers.MetricWriter:
  """TensorBoard + JSON lines in `workdir` and a stdout line, on the first process only."""
  if jax.process_index() > 0:
    return metric_writers.MultiWriter([])
  os.makedirs(workdir, exist_ok=True)
  writers = [
      metric_writers.SummaryWriter(workdir),
      JsonlWriter(os.path.join(workdir, 'metrics.jsonl')),
  ]
  if not quiet:
    writers.append(StdoutWriter())
  return metric_writers.MultiWriter(writers)
