"""Metric writers: TensorBoard events and a JSON-lines file per run."""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

import jax
import numpy as np
from clu import metric_writers


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


class JsonlWriter(_ScalarWriter):
  """Appends `{"step": s, name: value, …}` lines to a file: learning curves for notebooks."""

  def __init__(self, path: str):
    self._path = path

  def write_scalars(self, step: int, scalars: Mapping[str, Any]):
    record = {'step': int(step), **{k: float(np.asarray(v)) for k, v in scalars.items()}}
    with open(self._path, 'a') as f:
      f.write(json.dumps(record) + '\n')


def make_writer(workdir: str) -> metric_writers.MetricWriter:
  """TensorBoard events and JSON lines in `workdir`, on the first process only (the console
  lines are `console.Console`'s)."""
  if jax.process_index() > 0:
    return metric_writers.MultiWriter([])
  os.makedirs(workdir, exist_ok=True)
  return metric_writers.MultiWriter([
      metric_writers.SummaryWriter(workdir),
      JsonlWriter(os.path.join(workdir, 'metrics.jsonl')),
  ])
