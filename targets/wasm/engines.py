"""The wasmtime engines every wasm route uses: one configuration for checking and counting (fuel on), and the
timing engine (fuel off, whose accounting would otherwise be timed with the kernel) with its driver modules."""
from __future__ import annotations

from functools import cache

import wasmtime


def engine_config(opt_level: str = "speed") -> wasmtime.Config:
    """The one place the engine is configured, so every wasm route measures the same thing."""
    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_opt_level = opt_level
    return config


@cache
def timing_engine(opt_level: str) -> wasmtime.Engine:
    config = engine_config(opt_level)
    config.consume_fuel = False
    return wasmtime.Engine(config)


@cache
def timing_driver(engine: wasmtime.Engine, text: str) -> wasmtime.Module:
    """targets.wasm.driver_wat's driver module for one kernel interface (its text), compiled once per engine."""
    return wasmtime.Module(engine, text)
