"""unix_outside.py - the processes outside the tree of test 144.

Usage:
  python3 unix_outside.py journal DIR
      A journald-like reader: binds DIR/journal.sock (stream) and
      DIR/six.sock (seqpacket). A stream client must first send a header
      line "HDR name" (as journald's stdout socket wants); its lines go to
      DIR/j1.log, or "BADHDR line" there if its first line was no header.
      A seqpacket client is sent the record "hello 1" and its records go
      to DIR/j6.log, one a line. Every connection and EOF is written to
      DIR/events ("CONN stream 1", "EOF six 1", ...). Says "READY pid=N"
      on stdout.
  python3 unix_outside.py launch DIR BIN WORKDIR
      Connects to the journal's two sockets, sends the header, and starts
      BIN WORKDIR with its stdout on the stream socket and fd 6 on the
      seqpacket one (stdin /dev/null, stderr WORKDIR/err); writes the
      program's pid to WORKDIR/pid and exits, keeping no copy.
  python3 unix_outside.py restore|restore-pipe DIR N CKPT ARG...
      Runs CKPT ARG... with its stdout on a new stream socketpair (a pipe
      with restore-pipe) and fd N
      on a new seqpacket socketpair (stdin /dev/null, stderr
      DIR/restore.err); writes "restore exit STATUS" to DIR/restore.rc once
      it returns, then copies what comes on the other ends to DIR/n2 (as
      is) and DIR/f2 (a record a line) until both see EOF. On SIGUSR1 it
      sends the record "hello 2" on the seqpacket socket.
"""

import os
import select
import signal
import socket
import sys


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def journal(d):
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(os.path.join(d, "journal.sock"))
    ls.listen(8)
    lq = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lq.bind(os.path.join(d, "six.sock"))
    lq.listen(8)
    conns = {}  # fd -> [sock, kind, number, pending bytes, header seen]
    counts = {"stream": 0, "six": 0}
    print("READY pid=%d" % os.getpid(), flush=True)
    while True:
        r, _, _ = select.select([ls, lq] + [c[0] for c in conns.values()], [], [])
        for s in r:
            if s is ls or s is lq:
                c, _ = s.accept()
                kind = "stream" if s is ls else "six"
                counts[kind] += 1
                conns[c.fileno()] = [c, kind, counts[kind], b"", False]
                append(os.path.join(d, "events"), "CONN %s %d\n" % (kind, counts[kind]))
                if kind == "six":
                    c.send(b"hello 1")
                continue
            c = conns[s.fileno()]
            data = s.recv(65536)
            if not data:
                append(os.path.join(d, "events"), "EOF %s %d\n" % (c[1], c[2]))
                del conns[s.fileno()]
                s.close()
                continue
            if c[1] == "six":
                append(os.path.join(d, "j6.log"), data.decode() + "\n")
                continue
            c[3] += data
            out = ""
            while b"\n" in c[3]:
                line, c[3] = c[3].split(b"\n", 1)
                line = line.decode()
                if not c[4]:
                    c[4] = True
                    if not line.startswith("HDR "):
                        out += "BADHDR %s\n" % line
                    continue
                out += line + "\n"
            if out:
                append(os.path.join(d, "j1.log"), out)


def launch(d, binary, w):
    out = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    out.connect(os.path.join(d, "journal.sock"))
    out.sendall(b"HDR 144-unix-outside\n")
    six = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    six.connect(os.path.join(d, "six.sock"))
    pid = os.fork()
    if pid == 0:
        null = os.open("/dev/null", os.O_RDONLY)
        err = os.open(os.path.join(w, "err"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(null, 0)
        os.dup2(out.fileno(), 1)
        os.dup2(err, 2)
        os.dup2(six.fileno(), 6)
        os.closerange(7, 1024)
        os.closerange(3, 6)
        os.execv(binary, [binary, w])
    with open(os.path.join(w, "pid"), "w") as f:
        f.write("%d\n" % pid)


send_hello = False


def on_usr1(_sig, _frame):
    global send_hello
    send_hello = True


class PipeEnd:
    """The read end of a pipe, read as a socket is."""

    def __init__(self, fd):
        self.fd = fd

    def fileno(self):
        return self.fd

    def recv(self, n):
        return os.read(self.fd, n)

    def close(self):
        os.close(self.fd)


def restore(d, n, argv, pipe):
    signal.signal(signal.SIGUSR1, on_usr1)
    if pipe:
        r, w = os.pipe()
        a0, a1 = PipeEnd(r), PipeEnd(w)
    else:
        a0, a1 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    b0, b1 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        null = os.open("/dev/null", os.O_RDONLY)
        err = os.open(os.path.join(d, "restore.err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(null, 0)
        os.dup2(a1.fileno(), 1)
        os.dup2(err, 2)
        os.dup2(b1.fileno(), n)
        os.closerange(3, n)
        os.closerange(n + 1, 1024)
        os.execv(argv[0], argv)
    a1.close()
    b1.close()
    _, status = os.waitpid(pid, 0)
    with open(os.path.join(d, "restore.rc"), "w") as f:
        f.write("restore exit %d\n" % os.waitstatus_to_exitcode(status))
    open_ = {a0: "n2", b0: "f2"}
    global send_hello
    while open_:
        if send_hello:
            send_hello = False
            b0.send(b"hello 2")
        try:
            r, _, _ = select.select(list(open_), [], [], 0.2)
        except InterruptedError:
            continue
        for s in r:
            data = s.recv(65536)
            if not data:
                del open_[s]
                continue
            if s is b0:
                data += b"\n"
            append(os.path.join(d, open_[s]), data.decode())


def main():
    mode = sys.argv[1]
    if mode == "journal":
        journal(sys.argv[2])
    elif mode == "launch":
        launch(sys.argv[2], sys.argv[3], sys.argv[4])
    elif mode in ("restore", "restore-pipe"):
        restore(sys.argv[2], int(sys.argv[3]), sys.argv[4:], mode == "restore-pipe")
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
