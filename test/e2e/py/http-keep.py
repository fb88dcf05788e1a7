# http-keep.py HOST PORT - one HTTP/1.1 connection kept open (http.client),
# driven by lines on stdin: "GET PATH" sends a request on that same
# connection and prints "STATUS <code> <len> <local port>" then the body
# on one line (its lines joined by " | "); "PORT" prints the local port. Never reconnects: a request
# on a connection the server closed prints "ERROR ..." instead.
import http.client
import sys

conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
conn.connect()
conn.auto_open = 0  # a closed connection must fail, not be reopened
port = conn.sock.getsockname()[1]
print("PORT", port, flush=True)
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "GET":
        try:
            conn.request("GET", words[1])
            r = conn.getresponse()
            body = " | ".join(r.read().decode(errors="replace").split("\n")).strip(" |")
            print("STATUS", r.status, len(body), conn.sock.getsockname()[1], flush=True)
            print(body, flush=True)
        except Exception as e:
            print("ERROR", type(e).__name__, e, flush=True)
    elif words[0] == "PORT":
        print("PORT", conn.sock.getsockname()[1], flush=True)
