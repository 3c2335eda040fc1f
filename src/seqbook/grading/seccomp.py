"""The system calls a sandbox may not make: a seccomp filter for bubblewrap's `--seccomp FD`.

Namespaces give each sandbox its own IPC objects, network (abstract sockets included),
processes and files, but the kernel keyrings are keyed by uid, not by namespace: code left
in the user keyring by one submission (`add_key`) could be read by the next one that runs
under the same uid. A numpy exercise never needs keys, nor any of the other calls below
(kernel modules, mounts, new namespaces, tracing, SysV/POSIX message IPC, io_uring, bpf),
so they fail with EPERM. `clone3` fails with ENOSYS so that the C library falls back to
`clone`, whose flags a classic BPF filter can read: a clone asking for a new namespace fails
with EPERM too. Any other architecture than the one the filter was built for is killed.

The filter is a classic BPF program over `struct seccomp_data` (nr, arch, ip, args[6]),
written out here because it is small; the syscall numbers are the kernel's for x86-64 and
arm64 (asm/unistd_64.h and asm-generic/unistd.h).
"""
from __future__ import annotations

import errno
import platform
import struct

DENIED = (
    # keyrings: shared by every process of a uid, across namespaces
    "add_key", "keyctl", "request_key",
    # SysV and POSIX message IPC (the IPC namespace isolates them too)
    "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semctl", "semtimedop",
    "shmget", "shmat", "shmdt", "shmctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # namespaces and mounts
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "fsopen",
    "fsmount", "fspick", "open_tree", "mount_setattr",
    # other processes' memory, the kernel's own machinery
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "bpf",
    "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "open_by_handle_at", "name_to_handle_at",
    "lookup_dcookie", "fanotify_init", "vhangup", "sethostname", "setdomainname",
    "clock_settime", "settimeofday", "adjtimex", "clock_adjtime",
)

SYSCALLS = {
    "x86_64": dict(
        add_key=248, keyctl=250, request_key=249, msgget=68, msgsnd=69, msgrcv=70, msgctl=71,
        semget=64, semop=65, semctl=66, semtimedop=220, shmget=29, shmat=30, shmdt=67, shmctl=31,
        mq_open=240, mq_unlink=241, mq_timedsend=242, mq_timedreceive=243, mq_notify=244,
        mq_getsetattr=245, unshare=272, setns=308, mount=165, umount2=166, pivot_root=155, chroot=161,
        move_mount=429, fsopen=430, fsmount=432, fspick=433, open_tree=428, mount_setattr=442,
        ptrace=101, process_vm_readv=310, process_vm_writev=311, pidfd_getfd=438, kcmp=312, bpf=321,
        perf_event_open=298, userfaultfd=323, io_uring_setup=425, io_uring_enter=426,
        io_uring_register=427, init_module=175, finit_module=313, delete_module=176, kexec_load=246,
        kexec_file_load=320, reboot=169, swapon=167, swapoff=168, acct=163, quotactl=179, syslog=103,
        open_by_handle_at=304, name_to_handle_at=303, lookup_dcookie=212, fanotify_init=300,
        vhangup=153, sethostname=170, setdomainname=171, clock_settime=227, settimeofday=164,
        adjtimex=159, clock_adjtime=305, clone=56, clone3=435),
    "aarch64": dict(
        add_key=217, keyctl=219, request_key=218, msgget=186, msgsnd=189, msgrcv=188, msgctl=187,
        semget=190, semop=193, semctl=191, semtimedop=192, shmget=194, shmat=196, shmdt=197, shmctl=195,
        mq_open=180, mq_unlink=181, mq_timedsend=182, mq_timedreceive=183, mq_notify=184,
        mq_getsetattr=185, unshare=97, setns=268, mount=40, umount2=39, pivot_root=41, chroot=51,
        move_mount=429, fsopen=430, fsmount=432, fspick=433, open_tree=428, mount_setattr=442,
        ptrace=117, process_vm_readv=270, process_vm_writev=271, pidfd_getfd=438, kcmp=272, bpf=280,
        perf_event_open=241, userfaultfd=282, io_uring_setup=425, io_uring_enter=426,
        io_uring_register=427, init_module=105, finit_module=273, delete_module=106, kexec_load=104,
        kexec_file_load=294, reboot=142, swapon=224, swapoff=225, acct=89, quotactl=60, syslog=116,
        open_by_handle_at=265, name_to_handle_at=264, lookup_dcookie=18, fanotify_init=262,
        vhangup=58, sethostname=161, setdomainname=162, clock_settime=112, settimeofday=170,
        adjtimex=171, clock_adjtime=266, clone=220, clone3=435),
}
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 \
    | 0x40000000 | 0x00000080

LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|...|K, BPF_RET|K
ALLOW, KILL = 0x7FFF0000, 0x80000000  # SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS
EPERM, ENOSYS = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS  # SECCOMP_RET_ERRNO | errno


def supported() -> bool:
    return platform.machine() in SYSCALLS


def deny_filter(machine: str | None = None) -> bytes:
    """The compiled filter (an array of `struct sock_filter`) for this machine."""
    machine = machine or platform.machine()
    numbers = SYSCALLS[machine]
    denied = sorted({numbers[name] for name in DENIED})
    # Layout (every jump goes forward): check arch, load nr, [x32 check], one test per call,
    # allow; clone's flags test; the shared returns.
    head = 4 + (machine == "x86_64")
    tests = denied + [numbers["clone3"], numbers["clone"]]
    at_clone = head + len(tests) + 1
    at_eperm, at_enosys, at_kill = at_clone + 3, at_clone + 4, at_clone + 5
    program = [(LD_ABS, 0, 0, 4),  # seccomp_data.arch
               (JEQ, 1, 0, AUDIT_ARCH[machine]),
               (RET, 0, 0, KILL),
               (LD_ABS, 0, 0, 0)]  # seccomp_data.nr
    if machine == "x86_64":  # the x32 ABI reuses numbers with bit 30 set: refuse it outright
        program.append((JGE, at_kill - 5, 0, 0x40000000))
    for i, number in enumerate(tests):
        target = at_eperm if number in denied else at_enosys if number == numbers["clone3"] else at_clone
        program.append((JEQ, target - (head + i) - 1, 0, number))
    program += [(RET, 0, 0, ALLOW),
                (LD_ABS, 0, 0, 16),  # low 32 bits of args[0]: clone's flags on both machines
                (JSET, at_eperm - at_clone - 2, 0, CLONE_NAMESPACES),
                (RET, 0, 0, ALLOW), (RET, 0, 0, EPERM), (RET, 0, 0, ENOSYS), (RET, 0, 0, KILL)]
    assert all(0 <= jt < 256 and 0 <= jf < 256 for _, jt, jf, _ in program)
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
