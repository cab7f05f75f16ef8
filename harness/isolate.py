"""Forked children for untrusted native code live in targets.isolate (routes use them too); re-exported."""
from targets.isolate import ChildDied, describe_signal, in_child

__all__ = ["ChildDied", "describe_signal", "in_child"]
