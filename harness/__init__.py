"""codegen-arena: the harness that checks and measures every variant on every route."""
