"""The data-config fields every corpus has that choose the labelled share of its training split."""

from __future__ import annotations

import ml_collections


def add_labelled_share(data: ml_collections.ConfigDict, label_fraction: float) -> None:
  """Sets ``data.seed``, ``data.label_fraction`` and ``data.stratified`` (read by
  ``pipeline.labelled_subset``)."""
  # Seed of the labelled subset and the data order; None follows config.seed.
  data.seed = ml_collections.config_dict.placeholder(int)
  # Share of the training split whose labels are used; all of it feeds the unlabelled stream.
  data.label_fraction = label_fraction
  # Sample the labelled share per class, so that rare emotions keep their share.
  data.stratified = True
