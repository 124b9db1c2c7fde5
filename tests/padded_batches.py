"""A small padded multimodal batch shared by the objective tests."""

import numpy as np

DIMS = {'text': 5, 'audio': 3, 'vision': 2}
NUM_CLASSES = 3
MAX_LEN = 6
# Real frames of 8 utterances; 0 marks the modality absent (utterance 1 lacks audio, 2 vision).
LENGTHS = {'text': (6, 3, 2, 5, 1, 4, 6, 2),
           'audio': (4, 0, 6, 2, 5, 3, 1, 6),
           'vision': (2, 5, 0, 6, 3, 1, 4, 2)}


def padded_features(seed: int) -> dict[str, np.ndarray]:
  """Random features with NaN in every padded frame; the last utterance is padding."""
  rng = np.random.default_rng(seed)
  batch = {}
  for m, lengths in LENGTHS.items():
    mask = np.arange(MAX_LEN) < np.array(lengths)[:, None]
    x = rng.normal(size=(len(lengths), MAX_LEN, DIMS[m])).astype(np.float32)
    batch[m] = np.where(mask[..., None], x, np.nan).astype(np.float32)
    batch[f'{m}_mask'] = mask.astype(np.float32)
  batch['valid'] = np.array([1, 1, 1, 1, 1, 1, 1, 0], np.float32)
  return batch
