"""The system-call filter under which variant machine code runs: a kernel computes, it never calls the system.

Every execution of native variant code (checks and timing alike) happens in a
forked child that first loads what it needs (the code, its buffers, the
driver), then loads this filter, and only then calls the variant. The filter
allows reading the parent's command pipe, writing the result pipe, memory
management without new executable memory, and exit; any other system call
(open, execve, clone, socket, ptrace, kill, ...) traps into a handler of ours
that writes the call's number to the result pipe and ends the child. The
parent turns that into a `fail` naming the call.

The binding is pyseccomp, a thin ctypes layer over the system's libseccomp
(the library behind Docker's and systemd's filters), with the API of
libseccomp's own Python bindings, which are not on PyPI. libseccomp compiles
the rules to BPF for the running kernel and architecture, so no syscall
numbers or BPF are written by hand here. A filter cannot be lifted once
loaded, which is why it only ever goes into a child process.
"""
from __future__ import annotations

import mmap
import os
import signal
import struct
from functools import cache

from targets.native.cffi_build import compile_cffi
from targets.native.memory import libc

# The child's last words when the filter stopped it: this tag, then the system call's number (int32).
TRAPPED_TAG = b"\0ARENA-SYSCALL\0"
TRAPPED_EXIT = 98
UNSAFE_ENV = "ARENA_UNSAFE_NATIVE"

# C for the trap handler, a library of its own: it must not call anything the filter refuses, so it uses raw
# write and exit_group on a file descriptor set before the filter was loaded.
HANDLER_C = r"""
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static int arena_trap_fd = -1;

static void arena_on_sigsys(int sig, siginfo_t *info, void *context)
{
    (void)sig; (void)context;
    static const char tag[] = "\0ARENA-SYSCALL\0";
    char message[sizeof tag - 1 + 4];
    int number = info->si_syscall;
    memcpy(message, tag, sizeof tag - 1);
    memcpy(message + sizeof tag - 1, &number, 4);
    syscall(SYS_write, arena_trap_fd, message, sizeof message);
    syscall(SYS_exit_group, 98);
}

int arena_trap_to(int fd)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = arena_on_sigsys;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    arena_trap_fd = fd;
    return sigaction(SIGSYS, &action, NULL);
}
"""
HANDLER_CDEF = "int arena_trap_to(int fd);"


@cache
def trap_handler() -> object:
    """The handler's installer, `arena_trap_to(fd)`: built once, loaded before a child forks, so the child only
    inherits it."""
    module, _ = compile_cffi(HANDLER_C, HANDLER_CDEF, "gcc", ("-O2",), what="the sandbox's trap handler")
    return module.lib.arena_trap_to  # type: ignore[union-attr]

# What a forked Python child needs to read a command, run a compiled loop and write its result back.
_ALWAYS = ("exit", "exit_group", "brk", "munmap", "mremap", "madvise", "rt_sigreturn", "futex",
           "clock_gettime", "gettimeofday", "getpid", "sched_yield", "rt_sigprocmask")


@cache
def unavailable() -> str | None:
    """Why variant code cannot be contained on this machine, or None when it can."""
    try:
        import pyseccomp  # noqa: F401  (loads libseccomp.so.2)
    except (ImportError, OSError) as exc:
        return f"no system-call filter on this machine ({type(exc).__name__}: {exc})"
    if not hasattr(os, "fork"):
        return "no fork() on this system"
    try:  # the kernel must accept a filter: try one in a throwaway child
        pid = os.fork()
        if pid == 0:
            try:
                _filter(1, 0).load()
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return "the kernel refused a seccomp filter (a container that forbids it?)"
    except OSError as exc:
        return f"could not try a seccomp filter: {exc}"
    return None


def unsafe_allowed() -> bool:
    """`--unsafe-native` was given: native variants run unfiltered where no filter is available."""
    return os.environ.get(UNSAFE_ENV) == "1"


def _filter(write_fd: int, read_fd: int):  # type: ignore[no-untyped-def]
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.TRAP)
    for name in _ALWAYS:
        rules.add_rule(seccomp.ALLOW, name)
    rules.add_rule(seccomp.ALLOW, "write", seccomp.Arg(0, seccomp.EQ, write_fd))
    rules.add_rule(seccomp.ALLOW, "read", seccomp.Arg(0, seccomp.EQ, read_fd))
    # Memory, but never new executable memory: the code that runs is the code that was checked and placed.
    no_exec = seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, 0)
    rules.add_rule(seccomp.ALLOW, "mmap", no_exec)
    rules.add_rule(seccomp.ALLOW, "mprotect", no_exec)
    rules.set_attr(seccomp.Attr.CTL_NNP, 1)  # no new privileges, whatever the code tries
    return rules


CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE)


def enter(write_fd: int, read_fd: int) -> None:
    """Close every other file, arm the trap handler, load the filter. Call in the child, after all loading.

    Where no filter is available, the caller has already decided the code may run without one."""
    # Crash signals to their default action, so a crash ends the child with its signal. A runtime the parent
    # loaded may have its own handlers (wasmtime's, for its traps), which would forward the signal by calling
    # sigaction under the filter: the crash would read as that refused call.
    for number in CRASH_SIGNALS:
        libc.signal(number, 0)  # SIG_DFL, through libc: from any thread, whatever Python's own table says
    keep = sorted({0, 1, 2, write_fd, read_fd})
    for low, high in zip([-1, *keep], [*keep, 65536]):
        if high - low > 1:
            os.closerange(low + 1, high)
    if unavailable() is not None:  # harness.check let it run: the suite's own source, or --unsafe-native
        return
    if trap_handler()(write_fd) != 0:  # type: ignore[operator]
        raise RuntimeError("could not install the SIGSYS handler")
    _filter(write_fd, read_fd).load()


def trapped(data: bytes) -> int | None:
    """The system call number in a child's last words, if the filter stopped it."""
    at = data.find(TRAPPED_TAG)
    if at < 0 or len(data) < at + len(TRAPPED_TAG) + 4:
        return None
    return struct.unpack_from("i", data, at + len(TRAPPED_TAG))[0]


def syscall_name(number: int) -> str:
    try:
        import pyseccomp as seccomp

        return seccomp.resolve_syscall(seccomp.Arch.NATIVE, number).decode()
    except Exception:  # an unknown number is still worth reporting as a number
        return f"system call {number}"
