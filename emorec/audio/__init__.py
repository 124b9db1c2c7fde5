"""Audio to features: WAV screening (`wav.py`), openSMILE and log-mel feature sets
(`features.py`, `logmel.py`), their on-disk format with provenance (`store.py`) and parallel,
resumable extraction over a folder (`extract.py`). Nothing here imports TensorFlow or JAX.
"""
