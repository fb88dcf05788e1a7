"""mem_window.py - can a user write the memory of a process being restored
while one of its threads still holds capabilities?

Usage: python3 mem_window.py PID STOPFILE REPORT     (run as the user)

Tries to open /proc/PID/mem for writing, over and over, until it succeeds
or STOPFILE exists. The first time it succeeds, it reads the permitted
capabilities of every thread of PID (the fd, once open, writes the memory
all of them share) and writes to REPORT

    opened T CAPABLE            T threads, CAPABLE of them with CapPrm != 0
    never                       STOPFILE came first

then exits 0. The open succeeds only when the kernel lets the user trace
the process: the main thread has the user's uids and gids, no capability,
and the process is dumpable.
"""

import os
import sys


def cap_prm(path):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("CapPrm:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def main():
    pid, stop, report = sys.argv[1], sys.argv[2], sys.argv[3]
    mem = "/proc/%s/mem" % pid
    result = "never"
    n = 0
    while True:
        n += 1
        try:
            fd = os.open(mem, os.O_RDWR)
        except OSError:
            if n % 256 == 0 and os.path.exists(stop):
                break
            continue
        tasks = os.listdir("/proc/%s/task" % pid)
        capable = sum(
            1 for t in tasks
            if cap_prm("/proc/%s/task/%s/status" % (pid, t)) != 0)
        os.close(fd)
        result = "opened %d %d" % (len(tasks), capable)
        break
    with open(report, "w") as f:
        f.write(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
