#!/usr/bin/env python3
"""Finds (and with --kill stops) the processes a test started that are still running.

    leftovers.py [--env NAME=VALUE]... [--under DIR]... [--pids FILE]... [--kill]

A process is a test's when its environment holds every --env entry (every process a
test script starts inherits them; a suite is named by its run and its name together, so the
same suite of another run on the machine is never taken), when its working directory lies under one of the --under
directories (servers that rewrite their environment for their title, as PostgreSQL, Redis
and Dovecot do, still run in their data directory), or when it is listed in a --pids file
(lines "PID START_TIME LABEL", START_TIME as in /proc/PID/stat, so a recycled number is
never taken for the process that was recorded). This process and its ancestors are never
listed. Prints one line per process found, "PID<TAB>COMMAND", and exits 0.

With --kill each one gets SIGTERM (SIGCONT first, in case it was stopped), and SIGKILL when
it is still there 5 seconds later.
"""
import argparse
import os
import signal
import sys
import time


def read(path, mode="rb"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def stat_fields(pid):
    """(state, ppid, start_time) from /proc/PID/stat, or None when the process is gone."""
    raw = read(f"/proc/{pid}/stat")
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace")
    rest = text[text.rfind(")") + 2:].split()
    # rest[0] is field 3 (state); field 4 is the parent; field 22 the start time.
    return rest[0], int(rest[1]), rest[19]


def ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        st = stat_fields(pid)
        if not st:
            break
        pid = st[1]
    return pids


def command(pid):
    raw = read(f"/proc/{pid}/cmdline") or b""
    text = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    return text[:200] or f"[{(read(f'/proc/{pid}/comm') or b'?').decode().strip()}]"


def under(path, dirs):
    path = path.removesuffix(" (deleted)")
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def recorded(files):
    """{pid: start_time} from the --pids files."""
    out = {}
    for f in files:
        for line in (read(f, "r") or "").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].isdigit():
                out[int(parts[0])] = parts[1]
    return out


def find(envs, dirs, pidfiles):
    skip = ancestors()
    listed = recorded(pidfiles)
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        if pid in skip:
            continue
        st = stat_fields(pid)
        if not st or st[0] in ("Z", "X"):
            continue
        mine = listed.get(pid) == st[2]
        if not mine and dirs:
            try:
                mine = under(os.readlink(f"/proc/{pid}/cwd"), dirs)
            except OSError:
                pass
        if not mine and envs:
            env = read(f"/proc/{pid}/environ")
            if env:
                entries = set(env.split(b"\0"))
                # Every entry must be there: a suite's name alone would also match the same
                # suite of another run on the machine.
                mine = all(e in entries for e in envs)
        if mine:
            found.append(pid)
    return found


def stop(pids):
    for pid in pids:
        for sig in (signal.SIGCONT, signal.SIGTERM):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
    deadline = time.monotonic() + 5
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if (stat_fields(p) or ("X",))[0] not in ("Z", "X")]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


GRACE_SECONDS = 3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--under", action="append", default=[])
    ap.add_argument("--pids", action="append", default=[])
    ap.add_argument("--kill", action="store_true")
    a = ap.parse_args()
    envs = [e.encode() for e in a.env]
    dirs = [os.path.realpath(d) for d in a.under] + a.under
    pids = find(envs, dirs, a.pids)
    # A process already on its way out (a desk stopping its threads after the tmux server
    # went) is given a moment to finish before it counts as left running.
    deadline = time.monotonic() + GRACE_SECONDS
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = [p for p in pids if (stat_fields(p) or ("X",))[0] not in ("Z", "X")]
    lines = [f"{pid}\t{command(pid)}" for pid in pids]
    if a.kill:
        stop(pids)
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
