"""Kernels: one folder each, with the contract in kernels/README.md."""
