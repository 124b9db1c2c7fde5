"""What a run prints: one line per log step, one per evaluation, and nothing from the libraries.

absl, orbax (which logs through absl) and TensorFlow print INFO lines by default; a training
run keeps them at WARNING unless asked (`--library_logs`). The progress line carries the step,
the loss, every term's value, steps/s and the time left:

  step 600/3000 | loss 0.912 | supervised 0.705 | mmd 0.0213 | acc 0.734 | 41.3 steps/s | ETA 58s
"""

from __future__ import annotations

import logging
import time
from typing import Mapping

from absl import logging as absl_logging

def quiet_libraries(quiet: bool = True) -> None:
  """Python logging (absl's handler, orbax, asyncio, TensorFlow, JAX) at WARNING, or at INFO
  when not quiet."""
  level = logging.WARNING if quiet else logging.INFO
  absl_logging.set_verbosity(level)
  logging.getLogger().setLevel(level)
  for name in ('tensorflow', 'jax', 'orbax', 'asyncio'):
    logging.getLogger(name).setLevel(level)


def duration(seconds: float) -> str:
  """'1h02m', '3m05s' or '42s'."""
  seconds = max(int(round(seconds)), 0)
  hours, rest = divmod(seconds, 3600)
  minutes, secs = divmod(rest, 60)
  if hours:
    return f'{hours}h{minutes:02d}m'
  return f'{minutes}m{secs:02d}s' if minutes else f'{secs}s'


def _number(value: float) -> str:
  return f'{value:.4g}'


class Console:
  """Prints the progress and evaluation lines of a run of `num_steps` steps."""

  def __init__(self, num_steps: int, *, enabled: bool = True):
    self._num_steps = num_steps
    self._enabled = enabled
    self._mark: tuple[int, float] | None = None

  def started(self, step: int) -> None:
    """Marks the end of step `step`: speeds are measured from here (compilation excluded)."""
    self._mark = (step, time.monotonic())

  def _speed(self, step: int) -> float | None:
    if self._mark is None or step <= self._mark[0]:
      return None
    first, since = self._mark
    return (step - first) / max(time.monotonic() - since, 1e-9)

  def progress(self, step: int, summary: Mapping[str, float]) -> None:
    """`step s/N | loss | every term | acc | steps/s | ETA` from the mean training metrics."""
    if not self._enabled:
      return
    fields = [f'step {step}/{self._num_steps}', f"loss {_number(summary['loss'])}"]
    fields += [f'{name[len("loss/"):]} {_number(value)}'
               for name, value in summary.items() if name.startswith('loss/')]
    if 'accuracy' in summary:
      fields.append(f"acc {_number(summary['accuracy'])}")
    speed = self._speed(step)
    if speed:
      fields += [f'{speed:.1f} steps/s', f'ETA {duration((self._num_steps - step) / speed)}']
    print(' | '.join(fields), flush=True)

  def evaluation(self, step: int, split: str, metrics: Mapping[str, float], selection_metric: str,
                 best: tuple[float, int]) -> None:
    """`eval s/N | split: metric … | best metric at step` from the (seed-mean) metrics."""
    if not self._enabled:
      return
    shown = [name for name in (selection_metric, 'wa', 'ua', 'wacc', 'f1', 'auc')
             if name in metrics]
    values = ' '.join(f'{name} {_number(metrics[name])}' for name in dict.fromkeys(shown))
    print(f'eval {step}/{self._num_steps} | {split} {values} | best {selection_metric} '
          f'{_number(best[0])} at step {best[1]}', flush=True)
