"""threads.py - python3 threads updating shared counters under a lock.

Usage: python3 threads.py WORKDIR

The main thread runs the loop of protocol.py (seq file, signals, CHECK
lines).

Threads: four workers take the lock, bump their own slot of `counts`, the
shared `total` and a threading.local counter, and every 10th time put their
index on a queue.Queue; workers 0 and 1 then pause in time.sleep(), 2 and 3
in Event.wait() with a timeout (a futex wait with a timeout). A consumer
blocks in Queue.get() and counts what it gets, under the lock.

Self-check: the PID is the one seen at start; every thread makes progress
and answers with threading.get_native_id(), which must be its TID at start
and be listed in /proc/self/task; under the lock, total == sum(counts),
each worker's thread-local counter equals its slot, and every queued item
is accounted for (consumed + unfinished == put). Reports total=, tids=.
"""
import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402  (run with -I: its directory is not on the path)

NWORKERS = 4
NTHREADS = NWORKERS + 1  # the consumer is the last

lock = threading.Lock()
counts = [0] * NWORKERS  # under lock
consumed = [0] * NWORKERS  # under lock
total = [0]  # under lock
items = queue.Queue()
never = threading.Event()  # never set: Event.wait(timeout) is a timed futex wait
tid0 = [0] * NTHREADS  # native TID at start
tid_now = [0] * NTHREADS  # native TID when the thread answered the last check
progress = [0] * NTHREADS
answered = [0] * NTHREADS  # last check generation answered
errors = [None] * NTHREADS
gen = [0]


def notice(i):
    if answered[i] != gen[0]:
        tid_now[i] = threading.get_native_id()
        answered[i] = gen[0]


def worker(i):
    tls = threading.local()
    tls.n = 0
    tid0[i] = threading.get_native_id()
    while True:
        with lock:
            counts[i] += 1
            total[0] += 1
            tls.n += 1
            if tls.n != counts[i] and errors[i] is None:
                errors[i] = "thread-local %d != slot %d" % (tls.n, counts[i])
            if counts[i] % 10 == 0:
                items.put(i)
        progress[i] += 1
        notice(i)
        if i < 2:
            time.sleep(0.002)
        else:
            never.wait(0.002)


def consumer(i):
    tid0[i] = threading.get_native_id()
    while True:
        w = items.get()
        with lock:
            consumed[w] += 1
            items.task_done()
        progress[i] += 1
        notice(i)


def self_check():
    fails = []
    gen[0] += 1
    before = list(progress)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if all(answered[i] == gen[0] and progress[i] > before[i] for i in range(NTHREADS)):
            break
        time.sleep(0.001)
    tasks = set(int(t) for t in os.listdir("/proc/self/task"))
    for i in range(NTHREADS):
        if answered[i] != gen[0] or progress[i] <= before[i]:
            fails.append("thread %d (tid %d) stuck at %d" % (i, tid0[i], progress[i]))
        elif tid_now[i] != tid0[i]:
            fails.append("thread %d: native id %d, was %d" % (i, tid_now[i], tid0[i]))
        if tid0[i] not in tasks:
            fails.append("thread %d: tid %d not in /proc/self/task" % (i, tid0[i]))
        if errors[i]:
            fails.append("thread %d: %s" % (i, errors[i]))
    if len(tasks) != NTHREADS + 1:
        fails.append("%d tasks in /proc/self/task, want %d" % (len(tasks), NTHREADS + 1))
    with lock:
        t = total[0]
        if t != sum(counts):
            fails.append("total %d != sum of the slots %d" % (t, sum(counts)))
        put = sum(c // 10 for c in counts)
        with items.mutex:
            unfinished = items.unfinished_tasks
        if put != sum(consumed) + unfinished:
            fails.append("queue: %d put, %d consumed + %d unfinished" % (put, sum(consumed), unfinished))
    info = "total=%d tids=%s" % (t, ",".join(str(x) for x in tid0))
    return fails, info


def main():
    protocol.start()
    for i in range(NTHREADS):
        fn = consumer if i == NWORKERS else worker
        threading.Thread(target=fn, args=(i,), daemon=True).start()
    while not all(tid0) or not all(progress):
        time.sleep(0.001)
    protocol.run(lambda seq: self_check())


main()
