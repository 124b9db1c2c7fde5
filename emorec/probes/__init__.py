"""Reference probes on pooled features, outside the neural training path."""
