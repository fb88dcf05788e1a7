"""prefork.py - a python3 pre-fork server: the parent loads its data (a
64 MiB bytes object and a dict of 100000 strings), then forks three
workers that serve requests over pipes, as gunicorn or a multiprocessing
worker pool does. The memory stays shared copy-on-write between them.

Usage: python3 prefork.py WORKDIR

Prints "WORKERS pids=A,B,C" before READY. Self-check (SIGUSR2): each
worker is asked over its pipe for the SHA-256 of the data and a digest
of the dict, and must answer what the parent computed at start.
Reported: workers=N.
"""
import hashlib
import os
import select
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402  (run with -I: its directory is not on the path)

MIB = 64
NWORKERS = 3


def make_data():
    block = hashlib.sha512(b"prefork").digest() * 16  # 1 KiB
    chunks = []
    for i in range(MIB * 1024):
        chunks.append(hashlib.sha512(block[:64] + i.to_bytes(4, "little")).digest() * 16)
    return b"".join(chunks)


DATA = make_data()
TABLE = {"key%d" % i: "value%d" % (i * 7) for i in range(100000)}


def digest():
    h = hashlib.sha256(DATA)
    h.update(str(len(TABLE)).encode())
    h.update(TABLE["key4242"].encode())
    return h.hexdigest()


WANT = digest()


def worker(req, rep):
    while True:
        r = os.read(req, 1)
        if not r:
            os._exit(0)
        os.write(rep, (digest() + "\n").encode())


def main():
    protocol.start()
    workers = []
    for _ in range(NWORKERS):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(req_w)
            os.close(rep_r)
            worker(req_r, rep_w)
        os.close(req_r)
        os.close(rep_w)
        workers.append((pid, req_w, rep_r))
    print("WORKERS pids=%s" % ",".join(str(w[0]) for w in workers), flush=True)

    def check(_seq):
        fails = []
        for pid, req, rep in workers:
            os.write(req, b"?")
            ready, _, _ = select.select([rep], [], [], 30)
            if not ready:
                fails.append("worker %d did not answer" % pid)
                continue
            got = os.read(rep, 100).decode().strip()
            if got != WANT:
                fails.append("worker %d: digest %s, want %s" % (pid, got[:16], WANT[:16]))
        if digest() != WANT:
            fails.append("the parent's data changed")
        return fails, "workers=%d" % len(workers)

    protocol.run(check)


main()
