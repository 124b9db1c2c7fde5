"""The MTEE network in PyTorch, a reference for speed comparisons only (emorec never imports it).

Run as a worker process by launch/benchmark_rnn.py (a process of its own: PyTorch's OpenMP
runtime and XLA's CPU threads in one process stalled XLA's first train step):

  python launch/torch_reference.py BATCH.npz '{"num_layers": 2, ...}'

reads the batch and the emotion vectors from the .npz (no pickles), builds the trainer, then
answers each stdin line ``THREADS STEPS`` with the seconds those train steps took.

It has the architecture and shapes of emorec's MTEE default (configs/transfer.py): per modality
a stack of bidirectional ``nn.LSTM`` layers whose two directions are summed before the next
layer, dropout on every layer's outputs, the forward state at the last real frame plus the
backward state at the first as the code; linear maps of the emotion word vectors into every
modality, dot-product scores, logits summed over the present modalities with learned weights;
Adam and gradient clipping at a global norm. As in the authors' code the LSTMs run over every
frame, padding included (no packed sequences): ``nn.LSTM`` then takes its fastest CPU path.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn


class ModalityLSTM(nn.Module):
  """Stacked bidirectional LSTMs, directions summed, pooled at the edge frames."""

  def __init__(self, input_size: int, hidden: int, num_layers: int, dropout: float):
    super().__init__()
    self.layers = nn.ModuleList(
        nn.LSTM(input_size if i == 0 else hidden, hidden, batch_first=True, bidirectional=True)
        for i in range(num_layers))
    self.dropout = nn.Dropout(dropout)
    self.hidden = hidden

  def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    batch, length = x.shape[:2]
    for layer in self.layers:
      states = self.dropout(layer(x)[0]).view(batch, length, 2, self.hidden)
      x = states.sum(dim=2)
    last = (lengths - 1).clamp(min=0).view(batch, 1, 1).expand(batch, 1, self.hidden)
    forward = states[:, :, 0].gather(1, last)[:, 0]
    code = forward + states[:, 0, 1]
    return code * (lengths > 0).unsqueeze(-1).to(code.dtype)


class MTEE(nn.Module):
  """Encoders per modality, emotions scored through their mapped word vectors."""

  def __init__(self, input_sizes: Mapping[str, int], hidden: Mapping[str, int],
               label_vectors: np.ndarray, num_layers: int, dropout: float):
    super().__init__()
    self.modalities = tuple(input_sizes)
    self.encoders = nn.ModuleDict({
        m: ModalityLSTM(input_sizes[m], hidden[m], num_layers, dropout) for m in self.modalities})
    self.maps = nn.ModuleDict({
        m: nn.Linear(label_vectors.shape[1], hidden[m]) for m in self.modalities})
    self.register_buffer('labels', torch.from_numpy(np.array(label_vectors, np.float32)))
    self.modality_weights = nn.Parameter(
        torch.full((len(self.modalities),), 1.0 / len(self.modalities)))

  def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    logits = 0.0
    for i, m in enumerate(self.modalities):
      mask = batch[f'{m}_mask']
      lengths = mask.sum(dim=-1).long()
      code = self.encoders[m](batch[m], lengths)
      scores = code @ self.maps[m](self.labels).T
      present = (lengths > 0).to(scores.dtype).unsqueeze(-1)
      logits = logits + self.modality_weights[i] * present * scores
    return logits


class Trainer:
  """One model, its Adam optimizer and a train step on a fixed batch."""

  def __init__(self, model: nn.Module, batch: Mapping[str, np.ndarray], *, learning_rate: float,
               grad_clip_norm: float):
    self.model = model.train()
    self.optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    self.grad_clip_norm = grad_clip_norm
    self.batch = {k: torch.from_numpy(np.array(v)) for k, v in batch.items()}
    self.labels = self.batch['label'].long()

  def step(self) -> float:
    self.optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(self.model(self.batch), self.labels)
    loss.backward()
    nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip_norm)
    self.optimizer.step()
    return float(loss.detach())

  def steps(self, count: int) -> None:
    for _ in range(count):
      self.step()


def build(batch: Mapping[str, np.ndarray], modalities: Sequence[str], hidden: Mapping[str, int],
          label_vectors: np.ndarray, *, num_layers: int, dropout: float, learning_rate: float,
          grad_clip_norm: float, seed: int = 0) -> Trainer:
  """A trainer of the reference on ``batch`` (emorec's labelled batch: ``m``, ``m_mask``,
  ``label``)."""
  torch.manual_seed(seed)
  model = MTEE({m: batch[m].shape[-1] for m in modalities}, hidden, label_vectors, num_layers,
               dropout)
  return Trainer(model, {k: batch[k] for k in (*modalities, *(f'{m}_mask' for m in modalities),
                                                'label')},
                 learning_rate=learning_rate, grad_clip_norm=grad_clip_norm)


def serve(batch_file: str, options: str) -> None:
  """The worker loop: builds the trainer, then times train steps on request."""
  options = json.loads(options)
  with np.load(batch_file, allow_pickle=False) as arrays:
    arrays = dict(arrays)
  label_vectors = arrays.pop('label_vectors')
  trainer = build(arrays, options['modalities'], options['hidden'], label_vectors,
                  num_layers=options['num_layers'], dropout=options['dropout'],
                  learning_rate=options['learning_rate'],
                  grad_clip_norm=options['grad_clip_norm'])
  print('ready', flush=True)
  for line in sys.stdin:
    threads, steps = map(int, line.split())
    torch.set_num_threads(threads)
    start = time.perf_counter()
    trainer.steps(steps)
    print(time.perf_counter() - start, flush=True)


if __name__ == '__main__':
  serve(*sys.argv[1:])
