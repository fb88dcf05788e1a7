"""counter.py - a python3 loop that writes a counter to a file.

Usage: python3 counter.py WORKDIR

Same protocol as the C targets (see ../targets/target.h): writes
"READY pid=N" to stdout, then loops: appends the next number to WORKDIR/seq
(opened "w": O_WRONLY|O_CREAT|O_TRUNC, not append) and flushes, sleeps 2 ms.
SIGUSR1 is counted ("USR1 N"); SIGUSR2 asks for a self-check, answered by
"CHECK OK ..." or "CHECK FAIL ...": the PID is the one seen at start and
the counter matches the number of iterations.
"""
import os
import signal
import sys
import time

state = {"usr1": 0, "check": False}


def on_usr1(_sig, _frame):
    state["usr1"] += 1


def on_usr2(_sig, _frame):
    state["check"] = True


def self_check(start_pid, n, iterations):
    fails = []
    if os.getpid() != start_pid:
        fails.append("getpid() is %d, was %d" % (os.getpid(), start_pid))
    if n != iterations:
        fails.append("counter %d != iterations %d" % (n, iterations))
    info = "pid=%d seq=%d usr1=%d" % (os.getpid(), n, state["usr1"])
    if fails:
        print("CHECK FAIL %s | %s" % ("; ".join(fails), info), flush=True)
    else:
        print("CHECK OK " + info, flush=True)


def main():
    os.chdir(sys.argv[1])
    start_pid = os.getpid()
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGUSR2, on_usr2)
    n = 0
    iterations = 0
    logged_usr1 = 0
    with open("seq", "w") as seq:
        print("READY pid=%d" % start_pid, flush=True)
        while True:
            n += 1
            iterations += 1
            seq.write("%d\n" % n)
            seq.flush()
            if state["usr1"] != logged_usr1:
                logged_usr1 = state["usr1"]
                print("USR1 %d" % logged_usr1, flush=True)
            if state["check"]:
                state["check"] = False
                self_check(start_pid, n, iterations)
            time.sleep(0.002)


main()
