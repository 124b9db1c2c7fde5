"""Cost of the checked unpickler: `python launch/safe_pickle_speed.py [--dialogues=1400]`.

Writes a pickle shaped like the conv-emotion MELD release (per dialogue, lists of utterance ids,
one-hot speakers, labels, 600-d text and 300-d audio vectors; protocol 2, as the releases were
written) to a temporary file, then prints the median load time of the unrestricted C
``pickle.load`` and of ``emorec.data.safe_pickle.load`` over the repeats, side by side.
"""

import os
import pickle
import statistics
import tempfile
import time

from absl import app, flags
import numpy as np

from emorec.data import safe_pickle

_DIALOGUES = flags.DEFINE_integer('dialogues', 1400, 'Dialogues of 10 utterances each.')
_REPEATS = flags.DEFINE_integer('repeats', 3, 'Timed loads of each reader (median reported).')


def _release(dialogues: int) -> list:
  rng = np.random.default_rng(0)
  vids = range(dialogues)
  split = dialogues * 4 // 5

  def vectors(dim):
    return {v: [rng.normal(size=dim).astype(np.float32) for _ in range(10)] for v in vids}

  return [{v: list(range(10)) for v in vids},
          {v: [np.eye(9)[i % 9] for i in range(10)] for v in vids},
          {v: [i % 7 for i in range(10)] for v in vids}, vectors(600), vectors(300),
          {v: ['An utterance.'] * 10 for v in vids}, list(vids)[:split], list(vids)[split:],
          {v: [i % 3 for i in range(10)] for v in vids}]


def _median_seconds(load, repeats: int) -> float:
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    load()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def main(argv):
  del argv
  with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, 'MELD_features_raw.pkl')
    with open(path, 'wb') as file:
      pickle.dump(_release(_DIALOGUES.value), file, protocol=2)

    def unrestricted():
      with open(path, 'rb') as file:
        return pickle.load(file, encoding='latin1')

    plain = _median_seconds(unrestricted, _REPEATS.value)
    checked = _median_seconds(lambda: safe_pickle.load(path), _REPEATS.value)
    print(f'file: {os.path.getsize(path) / 1e6:.0f} MB; median of {_REPEATS.value} loads')
    print(f'pickle.load (C, unrestricted): {plain:.2f} s')
    print(f'safe_pickle.load (checked):    {checked:.2f} s ({checked / plain:.1f}x)')


if __name__ == '__main__':
  app.run(main)
