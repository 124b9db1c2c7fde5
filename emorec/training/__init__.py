"""Training: the jitted data-parallel train step, its state, checkpoints, seed ensembles and
metric writers."""
