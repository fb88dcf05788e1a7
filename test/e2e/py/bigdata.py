"""bigdata.py - a python3 process holding a lot of live objects.

Usage: python3 bigdata.py WORKDIR [SCALE=1]

Builds a list of 2M ints, a dict of 300k str -> tuple entries, a 32 MiB
bytearray and a list of 200k small strings (times SCALE), then loops like
counter.py (seq file, 2 ms pause, "READY pid=N", "USR1 N"). On SIGUSR2 it
rebuilds every structure from scratch and compares it with the live one:
"CHECK OK pid=N ..." or "CHECK FAIL what".
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


def build(scale):
    n_list = 2000000 * scale
    n_dict = 300000 * scale
    data = {
        "ints": [(i * 2654435761) % 1000003 for i in range(n_list)],
        "dict": {"key-%d" % i: (i, i * i, str(i * 7)) for i in range(n_dict)},
        "bytes": bytearray(bytes(range(256)) * ((32 << 20) * scale // 256)),
        "strs": ["s%08x" % (i * 40503) for i in range(200000 * scale)],
    }
    # Punch some variety into the bytearray so that pages differ.
    for off in range(0, len(data["bytes"]), 4096):
        data["bytes"][off] = (off // 4096) % 251
    return data


def self_check(start_pid, scale, live):
    fails = []
    if os.getpid() != start_pid:
        fails.append("getpid() is %d, was %d" % (os.getpid(), start_pid))
    fresh = build(scale)
    for name in sorted(fresh):
        if live[name] != fresh[name]:
            fails.append("%s differs" % name)
    info = "pid=%d usr1=%d objects=%d" % (
        os.getpid(), state["usr1"], sum(len(v) for v in live.values()))
    if fails:
        print("CHECK FAIL %s | %s" % ("; ".join(fails), info), flush=True)
    else:
        print("CHECK OK " + info, flush=True)


def main():
    os.chdir(sys.argv[1])
    scale = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    start_pid = os.getpid()
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGUSR2, on_usr2)
    live = build(scale)
    n = 0
    logged_usr1 = 0
    with open("seq", "w") as seq:
        print("READY pid=%d" % start_pid, flush=True)
        while True:
            n += 1
            seq.write("%d\n" % n)
            seq.flush()
            if state["usr1"] != logged_usr1:
                logged_usr1 = state["usr1"]
                print("USR1 %d" % logged_usr1, flush=True)
            if state["check"]:
                state["check"] = False
                self_check(start_pid, scale, live)
            time.sleep(0.002)


main()
