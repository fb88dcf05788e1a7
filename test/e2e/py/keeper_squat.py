"""keeper_squat.py - a fake ckpt page tracker ("keeper"): a local user's
in the attacks of test/e2e/attacks/20-keeper.sh, root's in
tests/44-keeper-trust.sh. Not a target: no WORKDIR.

    keeper_squat.py LOG serve|hang|bogus [--uid UID] NAME...
                                             listen on every NAME it can
    keeper_squat.py LOG get NAME...          ask every NAME for its state

With --uid, it binds every NAME first, then takes that uid (and its gid
as its only group) and only then listens: the peer credentials of a
listening socket are those of the process that called listen().

A NAME starting with "@" is an abstract unix socket name, anything else a
path. Every line of LOG says what happened, as the attacker sees it:

    BOUND NAME             listening there
    NOBIND NAME ERRNO      could not bind NAME (ERRNO: its symbolic name)
    READY                  every NAME tried (servers: now listening)
    CONN                   someone connected to us
    HANGUP                 and hung up without a word
    MSG cmd=C n=N          a request (the keeper's 48-byte header)
    FD LINK                a file descriptor we were given, and what it is
    ANSWERED cmd=C n=N     we answered a request
    NOCONN NAME ERRNO      (get) could not connect to NAME
    REPLY NAME LEN         (get) NAME answered LEN bytes
    DONE                   (get) every NAME tried

The protocol is that of ckpt 0.1's keeper: a header (u32 cmd, u32 n,
char last_id[40]; cmd 1 GET, 2 PUT, 3 STOP, 4 OK), then for a PUT or an
answer to a GET n u32 pids in messages of at most 250, each carrying as
many fds (SCM_RIGHTS). "serve" plays a keeper in full: it answers a GET
with everything it was given (the fds back, so a dump on it goes
through); "hang" answers the first GET (holding nothing) and then
nothing ever again: the client waits; "bogus" answers a GET with one
process whose "userfaultfd" is /dev/null.
"""
import array
import errno
import os
import select
import socket
import struct
import sys

HDR = struct.Struct("=II40s")
GET, PUT, STOP, OK = 1, 2, 3, 4
FDS_PER_MSG = 250


def sockaddr(name):
    return "\0" + name[1:] if name.startswith("@") else name


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)

    def __call__(self, *words):
        self.f.write(" ".join(str(w) for w in words) + "\n")


def recv_fds(sk, size, log):
    """One message of up to SIZE bytes, and the fds it carries."""
    space = socket.CMSG_SPACE(FDS_PER_MSG * 4)
    data, anc, _flags, _addr = sk.recvmsg(size, space)
    fds = array.array("i")
    for level, kind, body in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(body[: len(body) - len(body) % 4])
    for fd in fds:
        try:
            log("FD", os.readlink("/proc/self/fd/%d" % fd))
        except OSError as e:
            log("FD", "?", errno.errorcode.get(e.errno, e.errno))
    return data, list(fds)


def send_state(sk, state):
    last_id, pids, fds = state
    sk.sendmsg([HDR.pack(OK, len(pids), last_id)])
    for i in range(0, len(pids), FDS_PER_MSG):
        chunk = array.array("I", pids[i : i + FDS_PER_MSG])
        some = array.array("i", fds[i : i + FDS_PER_MSG])
        sk.sendmsg([chunk.tobytes()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, some.tobytes())])


def serve_one(sk, mode, state, log, answered_get):
    """A client's request; False once we stop answering."""
    data, _ = recv_fds(sk, 4096, log)
    if not data:
        log("HANGUP")
        return True
    if len(data) < HDR.size:
        log("MSG", "len=%d" % len(data))
        return True
    cmd, n, last_id = HDR.unpack(data[: HDR.size])
    log("MSG", "cmd=%d" % cmd, "n=%d" % n)
    if mode == "hang" and (cmd != GET or answered_get[0]):
        return False
    if cmd == GET and mode == "bogus":
        with open("/dev/null", "rb") as f:
            send_state(sk, [b"", [os.getpid()], [f.fileno()]])
    elif cmd == GET:
        answered_get[0] = True
        send_state(sk, state)
    elif cmd == PUT:
        pids, fds = [], []
        for _ in range(0, n, FDS_PER_MSG):
            body, got = recv_fds(sk, FDS_PER_MSG * 4, log)
            pids += array.array("I", body).tolist()
            fds += got
        state[:] = [last_id, pids, fds]
        sk.sendmsg([HDR.pack(OK, 0, b"")])
    elif cmd == STOP:
        sk.sendmsg([HDR.pack(OK, 0, b"")])
    log("ANSWERED", "cmd=%d" % cmd, "n=%d" % n)
    return True


def serve(log, mode, names):
    listeners, held, uid = [], [], None
    if names[:1] == ["--uid"]:
        uid, names = int(names[1]), names[2:]
    for name in names:
        sk = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sk.bind(sockaddr(name))
        except OSError as e:
            log("NOBIND", name, errno.errorcode.get(e.errno, e.errno))
            sk.close()
            continue
        log("BOUND", name)
        listeners.append(sk)
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    for sk in listeners:
        sk.listen(8)
    log("READY")
    state = [b"", [], []]
    answered_get = [False]
    while listeners:
        ready, _, _ = select.select(listeners, [], [])
        for lsk in ready:
            sk, _ = lsk.accept()
            log("CONN")
            try:
                if not serve_one(sk, mode, state, log, answered_get):
                    held.append(sk)  # the client waits for an answer
                    continue
            except OSError as e:
                log("ERROR", errno.errorcode.get(e.errno, e.errno))
            sk.close()


def get(log, names):
    for name in names:
        sk = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sk.settimeout(5)
        try:
            sk.connect(sockaddr(name))
            sk.sendmsg([HDR.pack(GET, 0, b"")])
            data, _ = recv_fds(sk, 4096, log)
            log("REPLY", name, len(data))
            if len(data) >= HDR.size:
                _cmd, n, _ = HDR.unpack(data[: HDR.size])
                for _ in range(0, n, FDS_PER_MSG):
                    recv_fds(sk, FDS_PER_MSG * 4, log)
        except OSError as e:
            log("NOCONN", name, errno.errorcode.get(e.errno, e.errno) if e.errno else "timeout")
        sk.close()
    log("DONE")


def main():
    log = Log(sys.argv[1])
    mode, names = sys.argv[2], sys.argv[3:]
    if mode == "get":
        get(log, names)
    else:
        serve(log, mode, names)


main()
