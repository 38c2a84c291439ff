#!/usr/bin/env python3
"""Slow clients against an HTTP listener: opens N connections to HOST:PORT that each send
half a request head and then hold it, then times GET PATH on a fresh connection while they
hold. Usage: slow_clients.py HOST PORT N PATH [SERVER_PID]. Prints one JSON object:
{"opened": connections made, "status": the HTTP status of PATH, "seconds": the time its answer
took, "server_fds": descriptors the server held meanwhile (with SERVER_PID)}."""
import json, resource, socket, sys, time

host, port, n, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 256)), hard))
held = []
for i in range(n):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((host, port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        held.append(s)
    except OSError:
        s.close()
time.sleep(0.3)
t0 = time.monotonic()
status = 0
try:
    c = socket.create_connection((host, port), timeout=5)
    c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while b"\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    status = int(data.split(b" ")[1]) if data.startswith(b"HTTP/") else 0
    c.close()
except OSError:
    pass
seconds = time.monotonic() - t0
out = {"opened": len(held), "status": status, "seconds": round(seconds, 3)}
if len(sys.argv) > 5:   # the server's pid: how many descriptors it holds while they wait
    import os
    out["server_fds"] = len(os.listdir("/proc/%s/fd" % sys.argv[5]))
print(json.dumps(out))
for s in held:
    s.close()
