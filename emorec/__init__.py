"""emorec: low-resource multimodal emotion recognition in JAX/Flax."""

import os

# TensorFlow serves only the input pipelines: keep it quiet and deterministic on CPU. These must be
# set before TensorFlow is first imported, which happens through emorec.data.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
