"""bigdata.py - a python3 process holding a lot of live objects.

Usage: python3 bigdata.py WORKDIR [SCALE=1]

Builds a list of 2M ints, a dict of 300k str -> tuple entries, a 32 MiB
bytearray and a list of 200k small strings (times SCALE), then runs the
loop of protocol.py. Its self-check rebuilds every structure from scratch
and compares it with the live one; reports objects=N.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402  (run with -I: its directory is not on the path)


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


def self_check(scale, live):
    fails = []
    fresh = build(scale)
    for name in sorted(fresh):
        if live[name] != fresh[name]:
            fails.append("%s differs" % name)
    return fails, "objects=%d" % sum(len(v) for v in live.values())


def main():
    protocol.start()
    scale = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    live = build(scale)
    protocol.run(lambda seq: self_check(scale, live))


main()
