#!/usr/bin/env python3
"""The long-running stack behind `./dev.sh up` and `./dev.sh down`: the same
Stack as the tests, but under ./var, on a fixed port, and left running.
Idempotent: `up` on a running stack only prints how to use it."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, pid_alive, wait_for  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VAR = os.path.join(ROOT, "var")
PIDFILES = ["nginx.pid", "envint.pid", "mysqld.pid"]  # stop order


def read_pid(name):
    try:
        with open(os.path.join(VAR, name)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running(name):
    pid = read_pid(name)
    return pid is not None and pid_alive(pid)


def up(builddir, port):
    os.makedirs(VAR, exist_ok=True)
    st = Stack(builddir, ROOT, directory=VAR, workers=2)
    tokens_file = os.path.join(VAR, "demo-tokens.txt")
    if not running("mysqld.pid"):
        st.start_db()
        st.db_proc = None  # keep it running after we exit
    if not os.path.exists(st.config_path()):
        st.write_config(log_level="info")
    st.ctl("migrate", "--dir", os.path.join(ROOT, "db"))
    if not os.path.exists(tokens_file):
        out = st.ctl("demo", "--dir", os.path.join(ROOT, "db", "demo")).stdout
        with open(tokens_file, "w") as f:
            f.write(out)
    if not running("envint.pid"):
        st.start_app()
        st.app_proc = None
    if not running("nginx.pid"):
        st.start_nginx(port)
        st.nginx_proc = None
    with open(tokens_file) as f:
        tokens = dict(line.split() for line in f if line.strip())
    ei = st.sql("SELECT LOWER(HEX(ei.id)) FROM environment_integration ei"
                " JOIN team t ON t.id = ei.team_id WHERE t.name = 'Acme Corp'"
                " ORDER BY ei.created_at, ei.id LIMIT 1")[0][0]
    ei = "%s-%s-%s-%s-%s" % (ei[:8], ei[8:12], ei[12:16], ei[16:20], ei[20:])
    print("envint is up on http://127.0.0.1:%d (state and logs in %s)" % (port, VAR))
    print("demo tokens (also in var/demo-tokens.txt):")
    for label, tok in tokens.items():
        print("  %-16s %s" % (label, tok))
    print("try:")
    print("  curl -s http://127.0.0.1:%d/healthz" % port)
    print("  curl -s -H 'Authorization: Bearer %s' http://127.0.0.1:%d/environment-integration/%s"
          % (tokens["acme-team"], port, ei))


def down():
    for name, sig in zip(PIDFILES, (signal.SIGQUIT, signal.SIGTERM, signal.SIGTERM)):
        pid = read_pid(name)
        if pid is None or not pid_alive(pid):
            continue
        os.kill(pid, sig)
        try:
            wait_for(lambda: not pid_alive(pid), 60, name)
        except RuntimeError:
            os.kill(pid, signal.SIGKILL)
        print("stopped %s (pid %d)" % (name[:-4], pid))
    time.sleep(0.1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["up"]:
        up(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ["down"]:
        down()
    else:
        sys.exit("usage: devstack.py up BUILDDIR PORT | down")
