#!/usr/bin/env python3
"""Peak RSS (VmHWM) of the envint worker that accepts one PATCH with a
4 MiB override, against a running stack (./dev.sh up). Prints numbers.
usage: tests/bench/rss_4mib.py [PORT] [SIZE_BYTES]"""
import http.client
import json
import os
import re
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
size = int(sys.argv[2]) if len(sys.argv) > 2 else 4 << 20


def workers():
    master = int(open(os.path.join(ROOT, "var", "envint.pid")).read())
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(st[1]) == master:
                out.append(int(d))
    return out


def hwm(pid):
    return int(re.search(r"VmHWM:\s+(\d+)", open("/proc/%d/status" % pid).read()).group(1))


tokens = dict(l.split() for l in open(os.path.join(ROOT, "var", "demo-tokens.txt")))
tok = tokens["acme-production"]
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("GET", "/environment-integration?limit=1", headers={"Authorization": "Bearer " + tok})
eid = json.loads(c.getresponse().read())["result"][0]["id"]
env = {}
per = len(json.dumps({"KEY_0000000": "v" * 40})) - 1  # bytes one more key adds
for i in range(max(1, size // per)):
    env["KEY_%07d" % i] = "v" * 40
body = json.dumps({"override": {"environment_variables": env}}).encode()
# one worker, so the measured one is the one that served it
before = {p: hwm(p) for p in workers()}
t0 = time.monotonic()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("PATCH", "/environment-integration/" + eid, body=body,
          headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
r = c.getresponse()
data = r.read()
elapsed = time.monotonic() - t0
after = {p: hwm(p) for p in workers()}
grew = max(after, key=lambda p: after[p] - before.get(p, 0))
print("body %d bytes, status %d, response %d bytes, %.3f s" % (len(body), r.status, len(data), elapsed))
print("worker %d VmHWM before %d KiB, after %d KiB (peak = %.2f x body)"
      % (grew, before.get(grew, 0), after[grew], after[grew] * 1024.0 / len(body)))
# put the row back to a small override
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("PATCH", "/environment-integration/" + eid, body=b'{"override":null}',
          headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
c.getresponse().read()
