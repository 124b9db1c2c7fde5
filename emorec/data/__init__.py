"""Input pipelines: corpora (synthetic and on-disk formats) and tf.data streams."""

import tensorflow as tf

# TensorFlow only feeds data; accelerators belong to JAX.
tf.config.set_visible_devices([], 'GPU')
