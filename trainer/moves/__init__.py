"""The understanding layer: reads rep turns into playbook moves and COO turns into signals."""
