# origin: human
# note: the no-op kernel: measures the timed loop and the call alone on the x86-64 routes.
.intel_syntax noprefix
noop:
    ret
