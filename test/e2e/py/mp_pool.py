"""mp_pool.py - python3 multiprocessing.Pool(4) mid-computation, its locks
and semaphores shared through deleted files of /dev/shm.

Usage: python3 mp_pool.py WORKDIR      the pool (the harness's target)
       python3 mp_pool.py --expect     print the expected RESULT line, computed
                                       here in one process, no multiprocessing

The pool (fork start method: each SemLock is made with sem_open() and
unlinked at once, so every worker maps "/dev/shm/sem.XXXX (deleted)"; a
Value lives in a file of /dev/shm made by mkstemp and unlinked, and
the main process holds it open)
maps task() over TASKS inputs with imap_unordered. Each task computes half
of a long chain of sha256 rounds, then takes the gate, a
multiprocessing.Semaphore(OPEN) shared by all, then computes the other
half, adds one to a multiprocessing.Value under its lock, and puts its
result on a multiprocessing.Queue too. So OPEN tasks can finish before
the harness says go, and the others wait in the gate (a futex on the
shared mapping) or in their first half.

Lines on stdout (one print each, flushed):
    WORKERS pid,pid,pid,pid     the pool's processes, once started
    READY pid=N
    DONE n                      n results received so far
    GO                          SIGUSR1 came: the gate is opened for all
    RESULT digest=HEX count=N queue=N workers=pid,...
    FATAL what

RESULT: digest is a sha256 of the sorted (input, result) pairs from the
pool; count is the Value after the pool is joined; queue the number of
Queue items whose result matches the pool's; workers the pool's processes
at the end (the same as at the start unless one died and was replaced).
"""
import hashlib
import multiprocessing
import os
import signal
import sys

TASKS = 32
OPEN = 8
ROUNDS = 200000  # each half of a task

_gate = None
_count = None
_queue = None


def chain(seed, rounds):
    h = seed
    for _ in range(rounds):
        h = hashlib.sha256(h).digest()
    return h


def compute_first(i):
    return chain(b"ckpt-mp-%d" % i, ROUNDS)


def compute_second(h):
    return chain(h, ROUNDS).hex()


def digest(pairs):
    text = "".join("%d:%s;" % p for p in sorted(pairs))
    return hashlib.sha256(text.encode()).hexdigest()


def init(gate, count, queue):
    global _gate, _count, _queue
    _gate, _count, _queue = gate, count, queue


def task(i):
    h = compute_first(i)
    _gate.acquire()
    r = compute_second(h)
    with _count.get_lock():
        _count.value += 1
    _queue.put((i, r))
    return i, r


def say(line):
    print(line, flush=True)


def main():
    os.chdir(sys.argv[1])
    ctx = multiprocessing.get_context("fork")
    gate = ctx.Semaphore(OPEN)
    count = ctx.Value("q", 0)
    queue = ctx.Queue()

    def go(_sig, _frame):
        for _ in range(TASKS):
            gate.release()
        say("GO")

    pool = ctx.Pool(4, initializer=init, initargs=(gate, count, queue))
    workers = sorted(p.pid for p in pool._pool)
    say("WORKERS " + ",".join(map(str, workers)))
    signal.signal(signal.SIGUSR1, go)
    say("READY pid=%d" % os.getpid())
    pairs = []
    for pair in pool.imap_unordered(task, range(TASKS)):
        pairs.append(pair)
        say("DONE %d" % len(pairs))
    now = sorted(p.pid for p in pool._pool)
    pool.close()
    pool.join()
    got = dict(pairs)
    queued = 0
    for _ in range(TASKS):
        i, r = queue.get(timeout=30)
        queued += got.get(i) == r
    say("RESULT digest=%s count=%d queue=%d workers=%s"
        % (digest(pairs), count.value, queued, ",".join(map(str, now))))


def expect():
    pairs = [(i, compute_second(compute_first(i))) for i in range(TASKS)]
    print("RESULT digest=%s count=%d queue=%d" % (digest(pairs), TASKS, TASKS))


if len(sys.argv) > 1 and sys.argv[1] == "--expect":
    expect()
else:
    try:
        main()
    except Exception as e:  # noqa: BLE001  (the harness reads FATAL)
        say("FATAL %r" % (e,))
        sys.exit(2)
