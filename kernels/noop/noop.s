# origin: human
# note: the no-op kernel: measures the harness's cost on the x86-64 routes.
.intel_syntax noprefix
noop:
    ret
