"""counter.py - a python3 loop that writes a counter to a file.

Usage: python3 counter.py WORKDIR

The protocol of protocol.py and nothing else: the seq file, the signals,
and the common self-check (the PID is the one seen at start, the counter
matches the number of iterations).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402  (run with -I: its directory is not on the path)


def main():
    protocol.start()
    protocol.run(lambda seq: ([], ""))


main()
