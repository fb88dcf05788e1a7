#!/usr/bin/env python3
"""stream-pair.py MODE RCFILE DUMP_ERR RESTORE_ERR -- DUMP... -- RESTORE...

The two-way channel of a migration (--handshake) on one machine: DUMP's
stdout feeds RESTORE's stdin, RESTORE's stdout feeds DUMP's stdin, through
this relay, which can cut the channel:

  plain       relay everything
  cut-ready   when RESTORE says "ready", drop that line and close both
              directions (the connection is cut after ready, before go)

Writes "DUMP_RC RESTORE_RC" and the lines RESTORE said to RCFILE.
"""
import os
import subprocess
import sys
import threading


def main():
    mode, rcfile, dump_err, rest_err = sys.argv[1:5]
    rest = sys.argv[5:]
    if not rest or rest[0] != "--" or "--" not in rest[1:]:
        sys.exit("usage: stream-pair.py MODE RCFILE DERR RERR -- DUMP... -- RESTORE...")
    cut = rest.index("--", 1)
    dump_cmd, rest_cmd = rest[1:cut], rest[cut + 1:]
    with open(dump_err, "wb") as de, open(rest_err, "wb") as re_:
        dump = subprocess.Popen(dump_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=de, bufsize=0)
        restore = subprocess.Popen(rest_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=re_, bufsize=0)
    said = []
    lock = threading.Lock()

    def close(f):
        with lock:
            try:
                f.close()
            except OSError:
                pass

    def forward():
        while True:
            try:
                b = os.read(dump.stdout.fileno(), 1 << 16)
            except OSError:
                break
            if not b:
                break
            try:
                restore.stdin.write(b)
            except (OSError, ValueError):
                break
        close(restore.stdin)

    t = threading.Thread(target=forward, daemon=True)
    t.start()
    for line in restore.stdout:
        said.append(line.decode(errors="replace").rstrip("\n"))
        if mode == "cut-ready" and line == b"ready\n":
            close(dump.stdin)
            close(restore.stdin)
            break
        try:
            dump.stdin.write(line)
        except (OSError, ValueError):
            break
    close(dump.stdin)
    drc = dump.wait()
    rrc = restore.wait()
    with open(rcfile, "w") as f:
        f.write("%d %d\n" % (drc, rrc))
        for s in said:
            f.write(s + "\n")


main()
