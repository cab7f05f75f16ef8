"""Measurement: the timed runs, their interleaving, the machine's state and the timing lock."""
