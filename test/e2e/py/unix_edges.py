"""unix_edges.py - unix sockets in the states that are easy to get wrong.

Usage: python3 unix_edges.py WORKDIR

One process holding:
  rel      a listener bound to the relative path "rel.sock" (from WORKDIR)
  s2, s3   two connections accepted from a listener on an abstract name
           that was closed after (they share its name), with c2, c3
  s4, c4   a connection accepted from a listener on WORKDIR/gone.sock,
           whose socket file was removed
  s5, c5   a connection from a client bound to an abstract name of its own
  s6, c6   a connection from a client with SO_PASSCRED (autobound)
  q1, q2   a seqpacket pair, q1 shut down for reading with 2 records in it
  d1       a datagram socket whose peer was closed after sending to it
  e1, e2   a datagram socketpair whose e2 disconnected; e1 still sends to it

Each self-check k reads what was sent at check k-1 on s2/c3/s4/s5/s6/e2
(exactly, once), sends for check k, makes a new connection to rel.sock by
its relative name and accepts it, and checks the names (the accepted ones
share their listener's), that gone.sock is not there, the records and the
datagram still waiting (peeked: q1 says "rec1" then "rec2" with their
boundaries, d1 "before close"), that q2 and e2 cannot send (EPIPE,
ENOTCONN). Reports round=k.
"""
import ctypes
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402  (run with -I: its directory is not on the path)

S = {}
state = {"round": 0}


def stream_pair(listener_name, client_name=None, passcred=False):
    c = socket.socket(socket.AF_UNIX)
    if client_name:
        c.bind(client_name)
    if passcred:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    c.connect(listener_name)
    return c


def setup():
    uniq = "ckpt-e2e-edges-%d" % os.getpid()
    S["rel"] = socket.socket(socket.AF_UNIX)
    S["rel"].bind("rel.sock")
    S["rel"].listen(4)
    gone_listener = socket.socket(socket.AF_UNIX)
    S["gone_name"] = b"\0" + (uniq + "-closed").encode()
    gone_listener.bind(S["gone_name"])
    gone_listener.listen(2)
    S["c2"] = stream_pair(S["gone_name"])
    S["s2"] = gone_listener.accept()[0]
    S["c3"] = stream_pair(S["gone_name"])
    S["s3"] = gone_listener.accept()[0]
    gone_listener.close()
    S["l4"] = socket.socket(socket.AF_UNIX)
    S["l4"].bind(os.path.abspath("gone.sock"))
    S["l4"].listen(1)
    S["c4"] = stream_pair(os.path.abspath("gone.sock"))
    S["s4"] = S["l4"].accept()[0]
    os.unlink("gone.sock")
    S["l5"] = socket.socket(socket.AF_UNIX)
    S["l5"].bind(b"\0" + (uniq + "-l5").encode())
    S["l5"].listen(2)
    S["c5"] = stream_pair(S["l5"].getsockname(), b"\0" + (uniq + "-c5").encode())
    S["s5"] = S["l5"].accept()[0]
    S["c6"] = stream_pair(S["l5"].getsockname(), passcred=True)
    S["s6"] = S["l5"].accept()[0]
    S["q1"], S["q2"] = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    S["q2"].send(b"rec1")
    S["q2"].send(b"rec2")
    S["q1"].shutdown(socket.SHUT_RD)
    S["d1"], d2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    d2.send(b"before close")
    d2.close()
    S["e1"], S["e2"] = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    unspec = ctypes.c_ushort(0)  # struct sockaddr { AF_UNSPEC }
    if ctypes.CDLL(None).connect(S["e2"].fileno(), ctypes.byref(unspec), 2):
        raise OSError("cannot disconnect e2")
    for s in S.values():
        if isinstance(s, socket.socket):
            s.setblocking(False)
    S["names0"] = names()
    send_round(0)


def names():
    return {
        "s2": S["s2"].getsockname(), "s3": S["s3"].getsockname(),
        "s4": S["s4"].getsockname(), "s5peer": S["s5"].getpeername(),
        "c5": S["c5"].getsockname(), "c6": S["c6"].getsockname(),
        "s6peer": S["s6"].getpeername(), "rel": S["rel"].getsockname(),
    }


def msg(what, k):
    return ("%s %d " % (what, k)).encode() + bytes(range(k % 7, 40 + k % 7))


# (receiving socket, sending socket) for each stream channel
STREAMS = [("s2", "c2"), ("c3", "s3"), ("s4", "c4"), ("s5", "c5"), ("c6", "s6")]


def send_round(k):
    for to, frm in STREAMS:
        S[frm].send(msg(to, k))
    S["e1"].send(msg("e2", k))


def recv_exact(name, want, fails):
    try:
        got = S[name].recv(4096)
    except BlockingIOError:
        got = b"(nothing)"
    if got != want:
        fails.append("%s: got %r, want %r" % (name, got[:30], want[:30]))


def expect_error(name, err, fails):
    try:
        S[name].send(b"x")
        fails.append("%s: a send worked" % name)
    except OSError as e:
        if e.errno != err:
            fails.append("%s: send fails with %s" % (name, os.strerror(e.errno)))


def check_waiting(fails):
    q = S["q1"].recv(100, socket.MSG_PEEK)
    if q != b"rec1":
        fails.append("q1: first record %r, want b'rec1'" % q)
    if S["d1"].recv(100, socket.MSG_PEEK) != b"before close":
        fails.append("d1: the datagram from its closed peer is gone")
    expect_error("q2", 32, fails)  # EPIPE
    expect_error("e2", 107, fails)  # ENOTCONN


def check(_seq):
    fails = []
    k = state["round"] + 1
    for to, _frm in STREAMS:
        recv_exact(to, msg(to, k - 1), fails)
    recv_exact("e2", msg("e2", k - 1), fails)
    c = socket.socket(socket.AF_UNIX)
    c.connect("rel.sock")
    try:
        a = S["rel"].accept()[0]
        c.send(b"rel %d" % k)
        if a.recv(100) != b"rel %d" % k:
            fails.append("rel: the new connection does not carry data")
        a.close()
    except OSError as e:
        fails.append("rel: %s" % e)
    c.close()
    if names() != S["names0"]:
        fails.append("names %r, were %r" % (names(), S["names0"]))
    if os.path.exists("gone.sock"):
        fails.append("gone.sock exists")
    check_waiting(fails)
    send_round(k)
    state["round"] = k
    return fails, "round=%d" % k


def main():
    protocol.start()
    setup()
    protocol.run(check)


main()
