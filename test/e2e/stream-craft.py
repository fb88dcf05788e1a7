#!/usr/bin/env python3
"""stream-craft.py IN OUT rename OLD NEW

Rewrite an image stream (format: src/stream.h) with the file record named
OLD named NEW instead, every checksum made right again: what a hostile
sender who knows the format sends. Exits 1 if OLD is not in IN.
"""
import struct
import sys


def crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


TABLE = crc32c_table()


def crc32c(crc, data):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def main():
    src, dst, op, old, new = sys.argv[1:6]
    if op != "rename":
        sys.exit("unknown operation " + op)
    data = open(src, "rb").read()
    out = bytearray(data[:16])
    total = crc32c(0, out)
    pos, found = 16, False
    while pos < len(data):
        typ, length = struct.unpack_from("<II", data, pos)
        body = bytearray(data[pos + 8:pos + 8 + length])
        pos += 8 + length + 4
        if typ == 1 and bytes(body[8:]) == old.encode():
            body = body[:8] + new.encode()
            found = True
        if typ == 4:
            struct.pack_into("<I", body, 0, total)
        head = struct.pack("<II", typ, len(body))
        rec = head + bytes(body) + struct.pack("<I", crc32c(crc32c(0, head), body))
        out += rec
        total = crc32c(total, rec)
    if not found:
        sys.exit("no file record named " + old)
    open(dst, "wb").write(out)


main()
