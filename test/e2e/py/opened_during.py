"""opened_during.py - did a command open a file?

Usage: python3 opened_during.py FILE REPORT CMD ARGS...

Watches FILE with inotify (IN_OPEN, IN_ACCESS, IN_MODIFY), runs CMD with
ARGS (stdin, stdout and stderr passed through), then reads the events
queued while it ran and writes "opened N" (N events, 0 when FILE was never
opened) to REPORT. Exits with CMD's status. The watch is in place before
CMD starts and read after it ended: no timing involved.
"""

import ctypes
import os
import struct
import subprocess
import sys

IN_ACCESS, IN_MODIFY, IN_OPEN = 0x1, 0x2, 0x20
IN_NONBLOCK = os.O_NONBLOCK


def main():
    path, report, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(IN_NONBLOCK)
    if fd < 0 or libc.inotify_add_watch(
            fd, path.encode(), IN_OPEN | IN_ACCESS | IN_MODIFY) < 0:
        sys.stderr.write("opened_during: cannot watch %s\n" % path)
        return 2
    rc = subprocess.call(cmd)
    n = 0
    try:
        buf = os.read(fd, 65536)
    except BlockingIOError:
        buf = b""
    off = 0
    while off + 16 <= len(buf):
        _, mask, _, name_len = struct.unpack_from("iIII", buf, off)
        n += 1
        off += 16 + name_len
    with open(report, "w") as f:
        f.write("opened %d\n" % n)
    return rc


if __name__ == "__main__":
    sys.exit(main())
