"""Experiment drivers: config arguments and overrides, the command line, side-by-side
comparisons, result tables and benchmarks."""
