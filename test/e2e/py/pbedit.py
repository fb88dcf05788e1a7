"""pbedit.py - edit or query the protobuf payload of a ckpt image file.

    python3 pbedit.py IMAGE CODE

Runs CODE (Python) with `p` the payload of IMAGE (the bytes after its
32-byte header) and the helpers below. If CODE sets `out`, prints it;
otherwise writes the new `p` on stdout, for `fuzz-images --repack` to give
it a valid header, checksum and inventory size. Used by the attacks of
test/e2e/attacks/50-input.sh to play a hostile image writer; it knows the
wire format, not ckpt's messages (field numbers come from proto/*.proto).
"""
import sys


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(n, wt, body):
    """Field n: a varint (wt 0) or length-delimited bytes (wt 2)."""
    if wt == 0:
        return varint(n << 3) + varint(body)
    return varint((n << 3) | 2) + varint(len(body)) + body


def read_varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def fields(b):
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        n, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 2:
            ln, i = read_varint(b, i)
            v = b[i : i + ln]
            i += ln
        else:
            raise SystemExit("pbedit: wire type %d not handled" % wt)
        yield n, wt, v


def get(b, n):
    """Every value of field n of message b."""
    return [v for m, wt, v in fields(b) if m == n]


def rebuild(b, n, fn):
    """Message b with each value of field n (length-delimited) through fn."""
    out = b""
    for m, wt, v in fields(b):
        if m == n and wt == 2:
            v = fn(v)
        out += field(m, wt, v)
    return out


with open(sys.argv[1], "rb") as f:
    p = f.read()[32:]
env = dict(globals())
exec(sys.argv[2], env)
if "out" in env:
    print(env["out"])
else:
    sys.stdout.buffer.write(env["p"])
