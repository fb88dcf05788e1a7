"""unix_full.py - a server of the user's whose listener stops taking
connections when asked (attacks/60-review.sh).

Usage: python3 unix_full.py DIR REPORT        (run as the user)

Binds DIR/server.sock (stream, backlog 1) and DIR/log.sock (datagram),
writes "listening PID" (its own) to REPORT and accepts connections until SIGUSR1. Then
it connects to its own listener without accepting until a non-blocking
connect says EAGAIN (the backlog is full: a blocking connect would wait
there), writes "full N" to REPORT (N connections pending) and waits for
SIGTERM.
"""

import os
import select
import signal
import socket
import sys

stop = False


def on_usr1(_sig, _frame):
    global stop
    stop = True


def report(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, path)


def main():
    d, rep = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGUSR1, on_usr1)
    lsk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsk.bind(os.path.join(d, "server.sock"))
    lsk.listen(1)
    dsk = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dsk.bind(os.path.join(d, "log.sock"))
    report(rep, "listening %d" % os.getpid())
    accepted = []
    while not stop:
        try:
            ready, _, _ = select.select([lsk], [], [], 0.05)
        except InterruptedError:
            continue
        if ready:
            accepted.append(lsk.accept()[0])
    pending = []
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(os.path.join(d, "server.sock"))
        except BlockingIOError:
            s.close()
            break
        pending.append(s)
    report(rep, "full %d" % len(pending))
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
