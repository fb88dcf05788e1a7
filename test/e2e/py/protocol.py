"""protocol.py - the harness protocol (see ../targets/target.h), shared by
the python3 targets of this directory.

    start()       chdir to WORKDIR (argv[1]); count SIGUSR1, note SIGUSR2
    run(check)    forever: write the next of 1, 2, 3, ... to WORKDIR/seq
                  (opened "w": O_WRONLY|O_CREAT|O_TRUNC, not append) and
                  flush it, then sleep 2 ms; "READY pid=N" first, "USR1 N"
                  after each SIGUSR1, and after a SIGUSR2 a "CHECK OK ..." or
                  "CHECK FAIL ..." line

check(seq) returns (fails, info): a list of what is wrong and a string of
"key=value" words. Checked for every target: getpid() is still the PID
seen at start, and the loop counter matches the number of iterations. The
CHECK line starts with "pid=N seq=N usr1=N".
"""
import os
import signal
import sys
import time

usr1 = [0]
_asked = [False]
_start_pid = [0]


def _on_usr1(_sig, _frame):
    usr1[0] += 1


def _on_usr2(_sig, _frame):
    _asked[0] = True


def start():
    os.chdir(sys.argv[1])
    _start_pid[0] = os.getpid()
    signal.signal(signal.SIGUSR1, _on_usr1)
    signal.signal(signal.SIGUSR2, _on_usr2)


def _self_check(check, n, iterations):
    fails, info = check(n)
    if os.getpid() != _start_pid[0]:
        fails.append("getpid() is %d, was %d" % (os.getpid(), _start_pid[0]))
    if n != iterations:
        fails.append("counter %d != iterations %d" % (n, iterations))
    info = ("pid=%d seq=%d usr1=%d %s" % (os.getpid(), n, usr1[0], info)).rstrip()
    if fails:
        print("CHECK FAIL %s | %s" % ("; ".join(fails), info), flush=True)
    else:
        print("CHECK OK " + info, flush=True)


def run(check):
    n = 0
    iterations = 0
    logged_usr1 = 0
    with open("seq", "w") as seq:
        print("READY pid=%d" % _start_pid[0], flush=True)
        while True:
            n += 1
            iterations += 1
            seq.write("%d\n" % n)
            seq.flush()
            if usr1[0] != logged_usr1:
                logged_usr1 = usr1[0]
                print("USR1 %d" % logged_usr1, flush=True)
            if _asked[0]:
                _asked[0] = False
                _self_check(check, n, iterations)
            time.sleep(0.002)
