"""Evaluation: exact metrics over padded batches, per-utterance predictions of a trained run,
and the zero-shot/few-shot protocols."""
