"""Fixed-architecture encoders for one kind of input, chosen per modality.

``model.modality_encoder`` ({modality: name}) gives a modality one of these instead of
``model.encoder``. Each is built with the modality's code width only: the rest of its
architecture is that of the baseline it reproduces (the CR authors' acoustic and lexical
branches, Qian, Han et al. 2022). Like every encoder they map ``x`` [B, T, D] and ``mask``
[B, T] to a code [B, hidden]; padded frames never reach the code and an absent modality (an
all-zero mask) gets a finite one.
"""

from __future__ import annotations

from typing import Callable

import flax.linen as nn
import jax.numpy as jnp

from emorec.models.encoders import zero_padding
from emorec.models.fusion import masked_softmax


class SpectrogramCNN(nn.Module):
  """The frames as a one-channel time x feature image: VGG-style blocks, then a dense layer.

  Each block is a 3x3 convolution, ReLU and 2x2 max-pooling (halving both axes, rounding up);
  the last feature map is flattened, so the code depends on the padded length T (fixed by
  ``data.max_len``) as in a CNN over fixed-size spectrograms.

  Attributes:
    hidden: width of the dense layer (the code).
    filters: convolution filters of every block.
    num_blocks: convolution blocks.
  """

  hidden: int = 512
  filters: int = 8
  num_blocks: int = 4

  @nn.compact
  def __call__(self, x: jnp.ndarray, mask: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    del train  # No dropout: the baseline drops out the fused representation only.
    image = zero_padding(x, mask)[..., None]
    for i in range(self.num_blocks):
      image = nn.relu(nn.Conv(self.filters, (3, 3), padding='SAME', name=f'conv_{i}')(image))
      image = nn.max_pool(image, (2, 2), strides=(2, 2), padding='SAME')
    flat = image.reshape(image.shape[0], -1)
    return nn.relu(nn.Dense(self.hidden, name='dense')(flat))


class AttentionLSTM(nn.Module):
  """A left-to-right LSTM over the real frames, pooled by additive attention.

  Frame t scores v . tanh(W h_t); the code is the softmax-weighted sum of the states h_t over
  the real frames. Padding must follow the real frames (sequence lengths are the mask sums).

  Attributes:
    hidden: LSTM units (the code width) and attention width.
  """

  hidden: int = 200

  @nn.compact
  def __call__(self, x: jnp.ndarray, mask: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    del train  # No dropout: the baseline drops out the fused representation only.
    lengths = jnp.sum(mask, axis=-1).astype(jnp.int32)
    states = nn.RNN(nn.OptimizedLSTMCell(self.hidden, parent=None), name='lstm')(
        zero_padding(x, mask), seq_lengths=lengths)
    scores = nn.Dense(self.hidden, name='attention_hidden')(states)
    scores = nn.Dense(1, use_bias=False, name='attention_out')(jnp.tanh(scores))[..., 0]
    weights = masked_softmax(scores, mask > 0)
    return jnp.einsum('bt,bth->bh', weights, states)


MODALITY_ENCODERS: dict[str, Callable[..., nn.Module]] = {
    'spectrogram_cnn': SpectrogramCNN,
    'attention_lstm': AttentionLSTM,
}
