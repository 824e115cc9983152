#!/usr/bin/env python3
"""envint soak (issue 6): mixed traffic through nginx while workers are
killed and MariaDB is restarted; prints a report and exits non-zero on any
violation. Run: ./dev.sh soak [SECONDS], or
    python3 tests/soak/soak.py BUILDDIR [SECONDS] [--workers N] [--clients N]
                               [--db-timeout S] [--seed N] [--keep]

What it does:
- starts its own stack (private MariaDB + envint + nginx under a temp dir,
  tests/integration/stack.py), loads gen_dataset.py small and mints a token
  for one team (750 installs in 3 environments) and one for one of its
  environments;
- runs 4 clients per core (separate processes, keep-alive HTTP/1.1 through
  nginx): 40% GET by id, 40% list (cursor walks, filters, id[in], the
  environment token), 20% PATCH; after a 5xx a client pauses 50 ms (not
  Retry-After's 1 s, which would blur the recovery time). Each client owns
  8 rows and is their only writer, so it knows what their state must be;
  every PATCH sets a unique override label plus both flags and is logged
  with its outcome:
  acknowledged (200 + ETag), rejected (4xx), or unknown (5xx or transport
  error: it may or may not have committed);
- chaos: SIGKILL of a random worker of this stack's master every 20 s,
  and once, at the middle, MariaDB stopped (SIGTERM), left down a few
  seconds, and started again. A mariadbd that dies on its own is started
  again at once, as a service manager would, and reported (a violation:
  the run did not go as planned). MariaDB's sql_errlog plugin records
  every error the server sent to envint; the report sums them up, and
  prints envint.log's error lines next to each violation's request id.

What must hold (anything else is a violation):
- every response is 2xx, except: 503 with Retry-After while the database
  is down (from its SIGTERM until it accepts again, plus db_timeout + 1 s),
  and at most one 502 or cut connection per worker kill (the kill's
  in-flight request; each worker serves one request at a time), ending
  within 2 s of the kill; a connection cut mid-reply during the outage (a
  list whose database failed mid-page: nginx cuts the client off, which
  the client can tell, unlike a short 200);
- no request takes longer than db_timeout + 3 s (the client gives up at
  db_timeout + 15 s and calls it a hang);
- 2xx bodies are whole and right (a 200 cut short by a worker kill is a
  violation too: the client cannot tell it from a real one at the HTTP
  level, only by its JSON failing to parse); GET returns the asked id;
  list results match their filters; a complete cursor walk sees every
  row of the team exactly once,
  in (created_at, id) order; reads of a client's own rows show its last
  acknowledged write (or a later write whose outcome it does not know);
  If-Match with the last acknowledged ETag never gets 412;
- afterwards, in the database, each owned row holds the client's last
  acknowledged write, or a later unacknowledged one (reported separately),
  its version counts exactly the writes that landed, and no other row
  changed;
- the master never restarts and no worker dies except the ones killed.
"""
import argparse
import collections
import http.client
import json
import multiprocessing
import os
import pickle
import random
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from stack import Stack  # noqa: E402

KILL_INTERVAL = 20.0     # seconds between worker kills
DB_DOWN = 5.0            # seconds MariaDB stays stopped
SLOW_SLACK = 3.0         # a request may take db_timeout + this
HANG_SLACK = 15.0        # the client gives up after db_timeout + this
KILL_WINDOW = 2.0        # a kill's 502 must end this soon after it
KILL_502_MAX = 1         # a worker serves one request at a time
ROWS_PER_CLIENT = 8
CATEGORIES = ["crm", "helpdesk", "ticketing", "hris", "accounting", "ats", "chat", "storage"]


def uuid_of(hexid):
    h = hexid.lower()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def vmrss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmRSS:\s+(\d+)", f.read())
        return int(m.group(1)) if m else None
    except OSError:
        return None


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


# ---------------------------------------------------------------- client

class Client:
    """One load client (run in its own process). Records every request as
    (t0, t1, route, variant, status, retry_after, note, request_id) and
    every PATCH attempt of its own rows."""

    def __init__(self, cid, cfg):
        self.cid = cid
        self.cfg = cfg
        self.rng = random.Random("%s-%d" % (cfg["seed"], cid))
        self.timeout = cfg["db_timeout"] + HANG_SLACK
        self.conn = None
        self.conn_uses = 0
        self.records = []
        self.problems = []       # (t, text): client-side violations
        self.rows = {}
        for r in cfg["owned"][cid]:
            self.rows[r["id"]] = dict(
                id=r["id"], v_ack=r["version"], ack=r["state"], pending=[],
                attempts=[], landed_gaps=0)
        self.own_ids = list(self.rows)
        self.seq = 0
        self.walk = None          # [cursor, seen ids, last (created_at, id), pages]
        self.walks_done = 0
        self.ryw_checked = 0

    # ---- transport
    def http(self, method, path, token, body=None, headers=None):
        h = {"Authorization": "Bearer " + token}
        if headers:
            h.update(headers)
        if body is not None:
            body = json.dumps(body, separators=(",", ":")).encode()
            h["Content-Type"] = "application/json"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.cfg["port"],
                                                   timeout=self.timeout)
            self.conn_uses = 0
        reused = self.conn_uses > 0
        self.conn_uses += 1
        t0 = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=h)
            resp = self.conn.getresponse()
            data = resp.read()
            t1 = time.monotonic()
            if resp.will_close:
                self.conn.close()
                self.conn = None
            return t0, t1, resp.status, resp.headers, data, None
        except (OSError, http.client.HTTPException) as e:
            t1 = time.monotonic()
            self.conn.close()
            self.conn = None
            kind = "hang" if isinstance(e, TimeoutError) else "transport"
            return t0, t1, 0, None, b"", "%s %s: %s%s" % (
                kind, type(e).__name__, e, " (reused connection)" if reused else "")

    def record(self, route, variant, res, note=None):
        t0, t1, status, headers, data, err = res
        ra = rid = None
        if headers is not None:
            ra = headers.get("Retry-After")
            rid = headers.get("X-Request-Id")
        if status >= 300 and status != 0:
            note = note or self.check_error_body(status, headers, data)
        self.records.append((t0, t1, route, variant, status, ra, err or note, rid))
        self.pause_after(status)

    @staticmethod
    def check_error_body(status, headers, data):
        ctype = headers.get("Content-Type") or ""
        if not ctype.startswith("application/json"):
            return "bad-body: error with Content-Type %r" % ctype
        try:
            body = json.loads(data)
        except ValueError:
            return "bad-body: error body is not JSON: %r" % data[:100]
        if not isinstance(body, dict) or body.get("statusCode") != status:
            return "bad-body: error envelope %r" % data[:200]
        return None

    def problem(self, text):
        self.problems.append((time.monotonic(), text))

    # ---- traffic
    def run(self, stop):
        while not stop.is_set():
            x = self.rng.random()
            if x < 0.2:
                self.patch()
            elif x < 0.6:
                self.get()
            else:
                self.list()
        if self.conn is not None:
            self.conn.close()

    def get(self):
        own = self.rng.random() < 0.5
        eid = self.rng.choice(self.own_ids if own else self.cfg["team_ids"])
        res = self.http("GET", "/environment-integration/" + eid, self.cfg["token"])
        note = None
        if res[2] == 200:
            try:
                obj = json.loads(res[4])
                if obj.get("id") != eid:
                    note = "bad-body: GET %s returned id %r" % (eid, obj.get("id"))
                elif own:
                    note = self.check_own(self.rows[eid], res[3].get("ETag"), obj, "GET")
            except ValueError:
                note = "bad-body: GET %s: not JSON" % eid
        elif res[2] not in (0,) and res[2] < 500:
            note = "unexpected %d on GET %s" % (res[2], eid)
        self.record("get", "own" if own else "any", res, note)

    def check_own(self, row, etag, obj, what):
        """A read of an own row shows the last acknowledged write, or one of
        the later writes whose outcome is unknown."""
        self.ryw_checked += 1
        try:
            v = int(etag.strip('"'))
        except (AttributeError, ValueError):
            return "bad-body: %s %s: ETag %r" % (what, row["id"], etag)
        state = state_of(obj)
        states = [row["ack"]] + [a["state"] for a in row["pending"]]
        vmax = row["v_ack"] + len(row["pending"])
        if not row["v_ack"] <= v <= vmax or state not in states:
            return ("stale-read: %s %s: version %d state %r; expected version %d..%d, "
                    "one of %r" % (what, row["id"], v, state, row["v_ack"], vmax, states))
        if state == row["ack"] and v != row["v_ack"]:
            return ("stale-read: %s %s: state of the acknowledged write with version %d, "
                    "acknowledged as %d" % (what, row["id"], v, row["v_ack"]))
        return None

    def patch(self):
        row = self.rows[self.rng.choice(self.own_ids)]
        self.seq += 1
        label = "soak-%s-c%d-%d" % (self.cfg["run"], self.cid, self.seq)
        override = {"label": label, "tags": ["soak", "c%d" % self.cid],
                    "headers": {"X-Soak-%02d" % i: "v%d-%d" % (self.seq, i)
                                for i in range(self.rng.randint(1, 20))}}
        body = {"override": override, "is_enabled": self.rng.random() < 0.5,
                "show_in_catalog": self.rng.random() < 0.5}
        state = (label, body["is_enabled"], body["show_in_catalog"])
        headers = None
        if not row["pending"] and self.rng.random() < 0.5:
            headers = {"If-Match": '"%d"' % row["v_ack"]}
        res = self.http("PATCH", "/environment-integration/" + row["id"], self.cfg["token"],
                        body=body, headers=headers)
        status = res[2]
        attempt = dict(seq=self.seq, state=state, override=override, status=status,
                       t0=res[0], t1=res[1], if_match=headers is not None, version=None)
        note = None
        if status == 200:
            try:
                v = int(res[3].get("ETag").strip('"'))
                obj = json.loads(res[4])
            except (AttributeError, ValueError):
                v, obj = None, None
            attempt["outcome"] = "ack"
            attempt["version"] = v
            if v is None or obj is None:
                note = "bad-body: PATCH %s: ETag %r / body not JSON" % (row["id"], res[3].get("ETag"))
            elif state_of(obj) != state or obj.get("override") != override:
                note = "bad-body: PATCH %s answered state %r, sent %r" % (row["id"], state_of(obj), state)
            elif not row["v_ack"] < v <= row["v_ack"] + 1 + len(row["pending"]):
                note = ("version: PATCH %s acknowledged as version %d after %d with %d "
                        "unknown attempts between" % (row["id"], v, row["v_ack"], len(row["pending"])))
            if v is not None:
                row["landed_gaps"] += max(0, v - row["v_ack"] - 1)
                row["v_ack"] = v
            row["ack"] = state
            row["pending"] = []
        elif status == 412:
            attempt["outcome"] = "rejected"
            note = "412 on PATCH %s with If-Match of the last acknowledged version %d" % (
                row["id"], row["v_ack"])
        elif 400 <= status < 500:
            attempt["outcome"] = "rejected"
            note = "unexpected %d on PATCH %s: %r" % (status, row["id"], res[4][:200])
        else:  # 5xx or transport error: may or may not have committed
            attempt["outcome"] = "unknown"
            row["pending"].append(attempt)
        row["attempts"].append(attempt)
        self.record("patch", "if-match" if headers else "plain", res, note)

    def pause_after(self, status):
        """A client does not spin on errors: 50 ms after a 5xx (not the
        1 s of Retry-After, which would blur the recovery time)."""
        if status >= 500 or status == 0:
            time.sleep(0.05)

    def list(self):
        x = self.rng.random()
        cfg = self.cfg
        if x < 0.4:
            return self.list_walk()
        token, check = cfg["token"], None
        if x < 0.6:
            cat = self.rng.choice(CATEGORIES)
            path = "?limit=20&is_enabled=true&integration.category=" + cat
            variant = "filter"

            def check(o):
                return o["is_enabled"] is True and o["integration"]["category"] == cat
        elif x < 0.7:
            env = self.rng.choice(cfg["envs"])
            path = "?limit=20&environment_id=" + env
            variant = "environment"

            def check(o):
                return o["environment_id"] == env
        elif x < 0.8:
            ids = self.rng.sample(self.own_ids, 3)
            path = "?id[in]=" + ",".join(ids)
            variant = "id-in"
            want = set(ids)

            def check(o):
                return o["id"] in want
        elif x < 0.9:
            name = self.rng.choice(cfg["names"])
            path = "?integration%5Bname%5D=" + name
            variant = "name"

            def check(o):
                return o["integration"]["name"] == name
        else:
            token = cfg["env_token"]
            path = "?limit=10&show_in_catalog=false"
            variant = "env-token"

            def check(o):
                return o["environment_id"] == cfg["env_of_token"] and o["show_in_catalog"] is False
        res = self.http("GET", "/environment-integration" + path, token)
        note = None
        if res[2] == 200:
            try:
                page = json.loads(res[4])
                bad = [o.get("id") for o in page["result"] if not check(o)]
                if bad:
                    note = "bad-body: list %s returned non-matching rows %r" % (path, bad[:3])
                elif variant == "id-in" and len(page["result"]) != 3:
                    note = "bad-body: list %s returned %d rows" % (path, len(page["result"]))
            except (ValueError, KeyError, TypeError) as e:
                note = "bad-body: list %s: %s" % (path, e)
        elif res[2] != 0 and res[2] < 500:
            note = "unexpected %d on list %s: %r" % (res[2], path, res[4][:200])
        self.record("list", variant, res, note)

    def list_walk(self):
        """One page of a cursor walk over the whole team. A failed page is
        asked again with the same cursor (cursors are keyset and stay
        valid), so a finished walk must have seen every row exactly once."""
        if self.walk is None:
            self.walk = ["", set(), None, 0]
        cursor, seen, last, pages = self.walk
        res = self.http("GET", "/environment-integration?limit=25&next_cursor="
                        + urllib.parse.quote(cursor), self.cfg["token"])
        note = None
        if res[2] == 200:
            try:
                page = json.loads(res[4])
                for o in page["result"]:
                    key = (o["created_at"], o["id"])
                    if o["id"] in seen:
                        note = "walk: row %s seen twice" % o["id"]
                    elif last is not None and key <= last:
                        note = "walk: order %r after %r" % (key, last)
                    seen.add(o["id"])
                    last = key
                if page["limit"] != 25:
                    note = "bad-body: limit %r" % page["limit"]
                self.walk = [page["next_cursor"], seen, last, pages + 1]
                if page["next_cursor"] is None:
                    if len(seen) != self.cfg["team_rows"]:
                        note = "walk: saw %d rows of %d" % (len(seen), self.cfg["team_rows"])
                    self.walks_done += 1
                    self.walk = None
            except (ValueError, KeyError, TypeError) as e:
                note = "bad-body: walk page: %s" % e
                self.walk = None
        elif res[2] != 0 and res[2] < 500:
            note = "unexpected %d on a walk page: %r" % (res[2], res[4][:200])
        self.record("list", "walk", res, note)

    def results(self):
        return dict(cid=self.cid, records=self.records, problems=self.problems,
                    rows=self.rows, walks=self.walks_done, ryw=self.ryw_checked)


def state_of(obj):
    ov = obj.get("override") or {}
    return (ov.get("label") if isinstance(ov, dict) else None,
            obj.get("is_enabled"), obj.get("show_in_catalog"))


def client_main(cid, cfg, stop, path):
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    c = Client(cid, cfg)
    try:
        c.run(stop)
    except Exception:
        c.problem("client %d crashed: %s" % (cid, traceback.format_exc()))
    with open(path, "wb") as f:
        pickle.dump(c.results(), f)


# ---------------------------------------------------------------- chaos

class Chaos:
    def __init__(self, st, t0, duration, seed, stop):
        self.st, self.t0, self.duration, self.stop = st, t0, duration, stop
        self.rng = random.Random("%s-chaos" % seed)
        self.kills = []          # dict(t, pid, respawn_s, workers_after)
        self.db = {}             # stop_sent, exited, start_sent, back
        self.errors = []
        self.rss = []            # (t, {pid: kib}), every 5 s
        self.rss_start = self.rss_end = None
        self.db_lock = threading.Lock()
        self.crashes = []        # mariadbd deaths that were not the planned restart
        self.lock = threading.Lock()

    def wait_until(self, t):
        return not self.stop.wait(max(0.0, t - time.monotonic()))

    def killer(self):
        try:
            k = 1
            while self.t0 + k * KILL_INTERVAL < self.t0 + self.duration:
                if not self.wait_until(self.t0 + k * KILL_INTERVAL):
                    return
                k += 1
                pids = self.st.worker_pids()
                if not pids:
                    self.errors.append((time.monotonic(), "no worker to kill"))
                    continue
                pid = self.rng.choice(pids)
                t = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                kill = dict(t=t, pid=pid, respawn_s=None, workers_after=None)
                with self.lock:
                    self.kills.append(kill)
                deadline = t + 10
                while time.monotonic() < deadline:
                    now = self.st.worker_pids()
                    if pid not in now and len(now) >= self.st.workers:
                        kill["respawn_s"] = time.monotonic() - t
                        kill["workers_after"] = now
                        break
                    time.sleep(0.01)
                else:
                    self.errors.append((t, "worker %d not replaced within 10 s" % pid))
        except Exception:
            self.errors.append((time.monotonic(), "killer: " + traceback.format_exc()))

    def db_restart(self):
        try:
            if not self.wait_until(self.t0 + self.duration / 2.0):
                return
            with self.db_lock:
                self.db["stop_sent"] = time.monotonic()
                self.st.stop_db(signal.SIGTERM)
                self.db["exited"] = time.monotonic()
                self.stop.wait(DB_DOWN)     # even on Ctrl-C: start it again
                self.db["start_sent"] = time.monotonic()
                self.st.start_db()
                self.db["back"] = time.monotonic()
        except Exception:
            self.errors.append((time.monotonic(), "db restart: " + traceback.format_exc()))

    def db_watch(self):
        """Like a service manager: a mariadbd that dies on its own (not the
        planned restart) is recorded and started again, so the run goes on."""
        while not self.stop.wait(0.1):
            with self.db_lock:
                proc = self.st.db_proc
                if proc is None or proc.poll() is None:
                    continue
                crash = dict(died=time.monotonic(), status=proc.returncode)
                self.crashes.append(crash)
                self.st.db_proc = None
                try:
                    crash["start_sent"] = time.monotonic()
                    self.st.start_db()
                    crash["back"] = time.monotonic()
                except Exception:
                    self.errors.append((time.monotonic(), "restarting mariadbd after it died: "
                                        + traceback.format_exc()))

    def sample_rss(self):
        s = {}
        for pid in self.st.worker_pids():
            v = vmrss(pid)
            if v is not None:
                s[pid] = v
        self.rss.append((time.monotonic(), s))
        return s

    def sampler(self):
        while not self.stop.wait(5.0):
            self.sample_rss()


# ---------------------------------------------------------------- setup

def load_dataset(st):
    gen = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "bench", "gen_dataset.py"),
                            "small"], stdout=subprocess.PIPE)
    subprocess.run(["mariadb", "--no-defaults", "-S", st.db_sock, "-uroot", "envint"],
                   stdin=gen.stdout, check=True)
    if gen.wait() != 0:
        raise RuntimeError("dataset generator failed")
    st.sql_root("ANALYZE TABLE environment_integration, integration, team, environment",
                database="envint")


def owned_state(st, ids):
    """(version, (label, is_enabled, show_in_catalog), override) per id."""
    out = {}
    rows = st.sql("SELECT LOWER(HEX(id)), version, is_enabled, show_in_catalog,"
                  " COALESCE(override, 'null') FROM environment_integration WHERE id IN (%s)"
                  % ",".join("UNHEX('%s')" % i.replace("-", "") for i in ids))
    for hexid, version, enabled, shown, override in rows:
        ov = json.loads(override.replace("\\\\", "\\")) or {}
        out[uuid_of(hexid)] = (int(version), (ov.get("label"), enabled == "1", shown == "1"), ov)
    return out


# ---------------------------------------------------------------- analysis

class Analysis:
    def __init__(self, args, cfg, chaos, results, t0, t_end, st):
        self.args, self.cfg, self.chaos, self.results = args, cfg, chaos, results
        self.t0, self.t_end, self.st = t0, t_end, st
        self.violations = []
        self.kinds = collections.Counter()
        self.w = collections.Counter()
        self.w_unknown_by = collections.Counter()
        self.landed_late = []
        self.n_rows = 0
        self.records = [r for res in results for r in res["records"]]
        self.records.sort()

    def v(self, t, text, kind=None):
        if kind is None:
            kind = ("write check" if text.startswith("write check") else
                    "slow" if text.startswith("took ") else
                    "2xx with a bad body" if "bad-body" in text else
                    "stale read" if "stale-read" in text else
                    "mariadbd crash" if text.startswith("mariadbd died") else
                    "503 outside an outage" if "503 with no database outage" in text else
                    "other")
        self.violations.append((t, text))
        self.kinds[kind] += 1

    def rel(self, t):
        return "+%.2fs" % (t - self.t0)

    def outage_windows(self):
        """[(from, to, planned)]: when a 503 is expected, the database's
        own outage plus db_timeout + 1 s."""
        slack = self.args.db_timeout + 1.0
        out = []
        db = self.chaos.db
        if "stop_sent" in db:
            out.append((db["stop_sent"], db.get("back", self.t_end) + slack, True))
        for c in self.chaos.crashes:
            # the crash is noticed within 0.1 s; requests meet it before
            out.append((c["died"] - 1.0, c.get("back", self.t_end) + slack, False))
        return out

    def kill_at(self, t0, t1):
        """The kill a request [t0, t1] was in flight at, if any."""
        return next((i for i, k in enumerate(self.chaos.kills)
                     if t0 <= k["t"] + 0.05 and k["t"] - 0.05 <= t1 <= k["t"] + KILL_WINDOW), None)

    def classify(self):
        wins = self.outage_windows()
        kills = self.chaos.kills
        self.truncated = []
        per_kill = collections.Counter()
        self.expected = collections.Counter()
        limit = self.args.db_timeout + SLOW_SLACK
        self.slow = []
        for t0, t1, route, variant, status, ra, note, rid in self.records:
            what = "%s %s [%s .. %s] %s%s" % (route, variant, self.rel(t0), self.rel(t1),
                                              status or "", (" X-Request-Id " + rid) if rid else "")
            if t1 - t0 > limit:
                self.slow.append((t1 - t0, what))
                self.v(t0, "took %.2f s (> db_timeout + %g s): %s %s" % (
                    t1 - t0, SLOW_SLACK, what, note or ""))
            if 200 <= status < 300:
                if note:
                    k = self.kill_at(t0, t1)
                    if k is not None and note.startswith("bad-body"):
                        # the worker died mid-body and nginx passed the cut
                        # response on as a complete 200
                        self.truncated.append((t0, k, what, note))
                        self.v(t0, "2xx cut short by the kill of worker %d at %s: %s: %s" % (
                            kills[k]["pid"], self.rel(kills[k]["t"]), what, note[:160]),
                            "2xx cut short by a worker kill")
                    elif note.startswith("bad-body") and any(
                            t1 >= w[0] and t0 <= w[1] for w in wins):
                        # the head (200) was out when the database failed
                        self.v(t0, "2xx cut short by the database outage: %s: %s" % (
                            what, note[:160]), "2xx cut short by a database failure")
                    else:
                        self.v(t0, "%s: %s" % (what, note))
                continue
            win = next((w for w in wins if t1 >= w[0] and t0 <= w[1]), None) \
                if status == 503 else None
            if win is not None:
                if not ra:
                    self.v(t0, "503 without Retry-After: " + what)
                elif note:
                    self.v(t0, "%s: %s" % (what, note))
                else:
                    self.expected["503 during the database outage" if win[2] else
                                  "503 while mariadbd was down after a crash"] += 1
                continue
            if status == 0 and (note or "").startswith("transport"):
                # a reply cut mid-body: nginx closes the client connection
                # when the upstream ends without END_REQUEST (a killed
                # worker, or a list aborted when the database failed
                # mid-page); a client can tell, unlike a short 200
                k = self.kill_at(t0, t1)
                if k is not None and per_kill[k] < KILL_502_MAX:
                    per_kill[k] += 1
                    self.expected["connection cut at a worker kill"] += 1
                    continue
                if any(t1 >= w[0] and t0 <= w[1] for w in wins):
                    self.expected["connection cut by the database outage mid-reply"] += 1
                    continue
            if status == 502:
                k = self.kill_at(t0, t1)
                if k is not None and per_kill[k] < KILL_502_MAX:
                    per_kill[k] += 1
                    self.expected["502 at a worker kill"] += 1
                    continue
            if status == 503:
                self.v(t0, "503 with no database outage: %s %s" % (what, note or ""))
            else:
                self.v(t0, "%s %s" % (what, note or ""))
        self.per_kill = per_kill
        for res in self.results:
            for t, text in res["problems"]:
                self.v(t, "client %d: %s" % (res["cid"], text))
        for t, text in self.chaos.errors:
            self.v(t, "chaos: " + text)
        for c in self.chaos.crashes:
            self.v(c["died"], "mariadbd died on its own (exit status %s; a database failure, not an "
                   "envint response failure; see mysqld.log)" % c["status"])

    def check_writes(self):
        """The database against each client's log of its own writes."""
        ids = [i for res in self.results for i in res["rows"]]
        self.n_rows = len(ids)
        final = owned_state(self.st, ids)
        for res in self.results:
            for rid, row in res["rows"].items():
                for a in row["attempts"]:
                    self.w[a["outcome"]] += 1
                    if a["outcome"] == "unknown":
                        self.w_unknown_by[a["status"] or "no response"] += 1
                self.w["landed-unknown"] += row["landed_gaps"]
                if rid not in final:
                    self.v(self.t_end, "write check: row %s is gone" % rid)
                    continue
                version, state, override = final[rid]
                pend = row["pending"]
                if state == row["ack"]:
                    if version != row["v_ack"]:
                        self.v(self.t_end, "write check: %s holds the acknowledged state %r "
                               "with version %d, acknowledged as %d" % (rid, state, version, row["v_ack"]))
                    else:
                        self.w["rows at last ack"] += 1
                    last = next((a for a in reversed(row["attempts"]) if a["outcome"] == "ack"), None)
                    if last is not None and override != last["override"]:
                        self.v(self.t_end, "write check: %s override %r, acknowledged %r"
                               % (rid, override, last["override"]))
                    continue
                j = next((i for i, a in enumerate(pend) if a["state"] == state), None)
                if j is None:
                    lost = next((a for a in row["attempts"] if a["state"] == state), None)
                    self.v(self.t_end, "write check: %s holds %r (version %d); the last "
                           "acknowledged write was %r (version %d)%s" % (
                               rid, state, version, row["ack"], row["v_ack"],
                               "" if lost is None else "; that state is attempt %d (%s, %s)"
                               % (lost["seq"], lost["outcome"], lost["status"])))
                    continue
                if not row["v_ack"] + 1 <= version <= row["v_ack"] + 1 + j or \
                        override != pend[j]["override"]:
                    self.v(self.t_end, "write check: %s holds unacknowledged attempt %d with "
                           "version %d (last ack %d, %d unknown attempts)" % (
                               rid, pend[j]["seq"], version, row["v_ack"], len(pend)))
                    continue
                self.w["rows at a later unacknowledged write"] += 1
                self.w["landed-unknown"] += version - row["v_ack"]
                self.landed_late.append((rid, pend[j], version))
        # no row but the owned ones was written
        changed = {uuid_of(r[0]) for r in self.st.sql(
            "SELECT LOWER(HEX(id)) FROM environment_integration WHERE version <> 1")}
        stray = changed - set(ids)
        if stray:
            self.v(self.t_end, "write check: rows no client wrote changed: %r" % sorted(stray)[:5])
        n = int(self.st.sql("SELECT COUNT(*) FROM environment_integration"
                            " WHERE team_id = UNHEX('%s')" % self.cfg["team_hex"])[0][0])
        if n != self.cfg["team_rows"]:
            self.v(self.t_end, "write check: the team has %d rows, had %d" % (n, self.cfg["team_rows"]))

    def check_processes(self, master_pid):
        if self.st.app_proc.poll() is not None or self.st.master_pid() != master_pid:
            self.v(self.t_end, "the envint master exited (status %r)" % self.st.app_proc.poll())
        killed = {k["pid"] for k in self.chaos.kills}
        self.deaths = []
        for line in self.st.app_log().splitlines():
            m = re.search(r"master: worker (\d+) (.*?)(; respawning| \(fatal\))", line)
            if m:
                pid = int(m.group(1))
                self.deaths.append(pid)
                if pid not in killed or "signal 9" not in m.group(2):
                    self.v(self.t_end, "unexpected worker death: " + line)
        missing = killed - set(self.deaths)
        if missing:
            self.v(self.t_end, "killed workers the master did not log: %r" % sorted(missing))

    def app_errors_by_request(self):
        """envint.log's error lines per request id, and the db error logged
        just before each (same worker)."""
        out = collections.defaultdict(list)
        last = {}
        for line in self.st.app_log().splitlines():
            m = re.match(r"\S+ envint\[(\d+)\] (error|warn): (.*)", line)
            if not m:
                continue
            pid, msg = m.group(1), m.group(3)
            r = re.match(r"req (\w+): ", msg)
            if r:
                prev = last.pop(pid, None)
                if prev is not None and prev[:19] == line[:19]:    # same second
                    out[r.group(1)].append(prev)
                out[r.group(1)].append(line)
            else:
                last[pid] = line
        return out

    def server_errors(self):
        """What MariaDB's sql_errlog saw: errors sent to clients, by code."""
        p = self.out.append
        if not self.cfg.get("errlog"):
            p("server-side SQL errors: unknown (the sql_errlog plugin could not be installed)")
            return
        path = os.path.join(self.st.db_datadir(), "sql_errors.log")
        codes, samples = collections.Counter(), {}
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    m = re.search(r"ERROR (\d+): (.*)", line)
                    if m and "envint" in line.split(" @ ")[0]:
                        codes[m.group(1)] += 1
                        samples.setdefault(m.group(1), line.strip()[:300])
        except OSError:
            pass
        p("server-side SQL errors sent to envint (sql_errlog): " +
          (", ".join("%s x%d" % kv for kv in sorted(codes.items())) or "none"))
        for code in sorted(samples):
            p("  " + samples[code])

    def recovery_line(self, start_sent, back, down_from):
        """First 2xx after the database came back, and the last 503 of
        the outage. "accepting" is when the harness's own probe (a mariadb
        client run every 50 ms) first got in: up to ~0.1 s late."""
        first_ok = min((r[1] for r in self.records if 200 <= r[4] < 300 and r[1] >= start_sent),
                       default=None)
        until = back + self.args.db_timeout + 1.0
        f503 = [r for r in self.records if r[4] == 503 and down_from <= r[1] <= until]
        last503 = max((r[1] for r in f503), default=None)
        self.out.append(
            "recovery: first 2xx %s after the database accepted again (%s after mariadbd was "
            "started); last 503 %s after (%s)" % (
                "%+.3f s" % (first_ok - back) if first_ok else "NEVER",
                "%.3f s" % (first_ok - start_sent) if first_ok else "-",
                "%+.3f s" % (last503 - back) if last503 else "-",
                "503s: %d, the first at %s" % (len(f503), self.rel(min(r[1] for r in f503)))
                if f503 else "no 503 at all"))
        if first_ok is None:
            self.v(back, "no 2xx after the database came back")

    # ---- report
    def report(self, master_pid):
        a, c, chaos = self.args, self.cfg, self.chaos
        out = self.out = []
        p = out.append
        span = self.t_end - self.t0
        by_status = collections.Counter(r[4] for r in self.records)
        ok = sum(n for s, n in by_status.items() if 200 <= s < 300)
        p("")
        p("envint soak report")
        p("=" * 78)
        p("%.0f s of traffic (started %s UTC), %d clients (%d CPUs), %d workers, db_timeout %d s, seed %s"
          % (span, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(c["wall0"])),
             a.clients, os.cpu_count(), a.workers, a.db_timeout, a.seed))
        p("dataset: gen_dataset small; the team token sees %d installs in %d environments;"
          " %d rows written (%d per client)" % (c["team_rows"], len(c["envs"]), self.n_rows,
                                               ROWS_PER_CLIENT))
        p("")
        p("requests served: %d (%.1f req/s), 2xx: %d, non-2xx: %d"
          % (len(self.records), len(self.records) / span, ok, len(self.records) - ok))
        p("by status: " + ", ".join("%s %d" % (s or "no response", n)
                                    for s, n in sorted(by_status.items())))
        p("")
        p("%-22s %8s %8s %8s %8s %8s %9s" % ("route", "count", "non-2xx", "p50 ms", "p99 ms",
                                             "max ms", "2xx p99"))
        groups = collections.defaultdict(list)
        for r in self.records:
            groups[r[2]].append(r)
            groups["  %s %s" % (r[2], r[3])].append(r)
        for name in sorted(groups, key=lambda n: (n.strip().split()[0], n.startswith(" "), n)):
            rs = groups[name]
            lat = [(r[1] - r[0]) * 1000 for r in rs]
            lat_ok = [(r[1] - r[0]) * 1000 for r in rs if 200 <= r[4] < 300]
            p("%-22s %8d %8d %8.1f %8.1f %8.1f %9.1f" % (
                name, len(rs), sum(1 for r in rs if not 200 <= r[4] < 300),
                pct(lat, 50), pct(lat, 99), max(lat), pct(lat_ok, 99)))
        p("(latency over all responses; the last column over 2xx only)")
        p("")
        p("non-2xx, expected: " + (", ".join("%s: %d" % kv for kv in sorted(self.expected.items()))
                                   or "none"))
        p("")
        resp = [k["respawn_s"] * 1000 for k in chaos.kills if k["respawn_s"] is not None]
        p("worker kills: %d (SIGKILL every %g s); replaced in p50 %.0f ms, max %.0f ms; "
          "502s charged to kills: %d; master pid %d %s"
          % (len(chaos.kills), KILL_INTERVAL, pct(resp, 50), max(resp or [0]),
             sum(self.per_kill.values()), master_pid,
             "unchanged" if self.st.master_pid() == master_pid and self.st.app_proc.poll() is None
             else "GONE"))
        cut = collections.Counter(k for _, k, _, _ in self.truncated)
        p("  at: " + ", ".join("%s pid %d%s" % (self.rel(k["t"]), k["pid"],
                                               " (502)" if self.per_kill.get(i) else
                                               " (cut 200)" if cut.get(i) else "")
                               for i, k in enumerate(chaos.kills)))
        if self.truncated:
            p("  2xx responses cut short by a kill (a 200 whose body ends early, with a clean"
              " end of the chunked encoding): %d -- VIOLATION" % len(self.truncated))
        db = chaos.db
        if "back" in db:
            p("database restart: SIGTERM at %s, mariadbd exited %s, started %s, accepting %s;"
              " outage %.2f s" % (self.rel(db["stop_sent"]), self.rel(db["exited"]),
                                 self.rel(db["start_sent"]), self.rel(db["back"]),
                                 db["back"] - db["stop_sent"]))
            back = db["back"]
            self.recovery_line(db["start_sent"], back, db["stop_sent"])
            phases = collections.Counter()
            for r in self.records:
                if not 200 <= r[4] < 300 and db["stop_sent"] - 1 <= r[1] <= back + 10:
                    ph = ("before SIGTERM" if r[1] < db["stop_sent"] else
                          "stopping" if r[1] < db["exited"] else
                          "down" if r[1] < db["start_sent"] else
                          "starting" if r[1] < back else "after back")
                    phases["%s %s" % (ph, r[4] or "no response")] += 1
            ok_during = sum(1 for r in self.records if 200 <= r[4] < 300
                            and db["exited"] <= r[0] and r[1] <= db["start_sent"])
            p("  non-2xx around the restart: " + (", ".join("%s: %d" % kv for kv in sorted(phases.items()))
                                                   or "none")
              + "; 2xx while mariadbd was down: %d" % ok_during)
        else:
            p("database restart: not performed (run too short or interrupted)")
        for cr in chaos.crashes:
            p("UNPLANNED: mariadbd died on its own at %s (exit status %s), started again by the "
              "soak at %s, accepting %s" % (self.rel(cr["died"]), cr["status"],
                                            self.rel(cr["start_sent"]),
                                            self.rel(cr["back"]) if "back" in cr else "NEVER"))
            if "back" in cr:
                self.recovery_line(cr["start_sent"], cr["back"], cr["died"] - 1.0)
        if chaos.crashes:
            try:
                with open(os.path.join(self.st.dir, "mysqld.log"), errors="replace") as f:
                    log = f.read().splitlines()
                for line in log:
                    if "got signal" in line or line.startswith("Query (") or \
                            re.match(r"mariadbd\(_Z|mariadbd\(_ZN", line):
                        p("  mysqld.log: " + line[:300])
            except OSError:
                pass
        # RSS
        samples = [(t, s) for t, s in chaos.rss if s]
        if samples and chaos.rss_start and chaos.rss_end:
            t_a, s_a = chaos.rss_start
            t_b, s_b = chaos.rss_end

            def desc(s):
                return "%d workers, sum %d KiB, max %d KiB" % (len(s), sum(s.values()), max(s.values()))
            p("worker RSS: start (%s) %s; end (%s) %s" % (self.rel(t_a), desc(s_a), self.rel(t_b), desc(s_b)))
            surv = sorted(set(s_a) & set(s_b))
            p("  workers alive at both samples: " + (", ".join(
                "%d %d->%d KiB (%+d)" % (pid, s_a[pid], s_b[pid], s_b[pid] - s_a[pid]) for pid in surv)
                or "none (every one was killed and replaced on the way)"))
            mx = [max(s.values()) for _, s in samples]
            half = len(mx) // 2 or 1
            p("  max worker RSS over %d samples (every 5 s): first half %d KiB, second half %d KiB, "
              "overall %d KiB" % (len(samples), max(mx[:half]), max(mx[half:] or mx[:half]), max(mx)))
        # writes
        w = self.w
        p("")
        p("PATCH attempts: %d; acknowledged %d, rejected %d, unknown outcome %d (%s); "
          "unknown writes that landed anyway: %d"
          % (w["ack"] + w["rejected"] + w["unknown"], w["ack"], w["rejected"], w["unknown"],
             ", ".join("%s: %d" % (k, n) for k, n in sorted(self.w_unknown_by.items(), key=str))
             or "none", w["landed-unknown"]))
        bad_w = [x for x in self.violations if x[1].startswith("write check")]
        p("acknowledged-write check: %s: %d/%d rows hold the last acknowledged write, %d a later "
          "write whose response was lost; versions consistent%s"
          % ("OK" if not bad_w else "FAILED", w["rows at last ack"], self.n_rows,
             w["rows at a later unacknowledged write"], "" if not bad_w else " (see violations)"))
        for rid, at, version in self.landed_late:
            p("  %s: attempt %d (%s at %s) landed, version %d" % (
                rid, at["seq"], at["status"] or "no response", self.rel(at["t1"]), version))
        walks = sum(r["walks"] for r in self.results)
        ryw = sum(r["ryw"] for r in self.results)
        p("cursor walks completed: %d (each saw all %d rows once, in order); own-row reads "
          "checked for read-your-writes: %d" % (walks, c["team_rows"], ryw))
        if self.slow:
            self.slow.sort(reverse=True)
            p("slowest over the limit: " + "; ".join("%.2f s %s" % s for s in self.slow[:5]))
        self.server_errors()
        p("")
        if self.violations:
            p("VIOLATIONS: %d (%s)" % (len(self.violations), ", ".join(
                "%s: %d" % kv for kv in sorted(self.kinds.items()))))
            why = self.app_errors_by_request()
            for t, text in sorted(self.violations)[:40]:
                p("  %s %s" % (self.rel(t), text))
                m = re.search(r"X-Request-Id (\w+)", text)
                for line in why.get(m.group(1) if m else None, [])[:3]:
                    p("      envint.log: " + line[:200])
            if len(self.violations) > 40:
                p("  ... %d more" % (len(self.violations) - 40))
        else:
            p("violations: none")
        p("RESULT: %s" % ("FAIL" if self.violations else "PASS"))
        return "\n".join(out)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builddir")
    ap.add_argument("seconds", nargs="?", type=float, default=300)
    ap.add_argument("--clients", type=int, default=4 * (os.cpu_count() or 1))
    ap.add_argument("--workers", type=int, default=max(4, 2 * (os.cpu_count() or 1)))
    ap.add_argument("--db-timeout", type=int, default=5)
    ap.add_argument("--seed", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (it is kept on failure)")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = str(random.randrange(1 << 32))
    if args.seconds < 10:
        ap.error("at least 10 seconds")
    builddir = os.path.abspath(args.builddir)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    st = Stack(builddir, ROOT, workers=args.workers, db_timeout=args.db_timeout)
    stop = multiprocessing.Event()
    procs, threads = [], []
    keep = args.keep
    rc = 1
    try:
        print("soak: stack in %s; loading the dataset" % st.dir, flush=True)
        # mariadbd's tmpdir is $TMPDIR, else /tmp; at start-up it deletes
        # every #sql* file there, including the live temporary tables of any
        # other MariaDB sharing /tmp (another stack on this machine). A
        # private one keeps this soak and its neighbours out of each other's
        # way (stack.py does not pass --tmpdir).
        os.makedirs(os.path.join(st.dir, "tmp"))
        os.environ["TMPDIR"] = os.path.join(st.dir, "tmp")
        st.start_db()
        # every error MariaDB sends a client goes to mysql/sql_errors.log:
        # the server's side of any 503 or cut response (the plugin stays
        # installed across the restart)
        errlog = st.sql_root("INSTALL SONAME 'sql_errlog'", check=False).returncode == 0
        st.write_config(log_level="info")
        st.ctl("migrate", "--dir", os.path.join(ROOT, "db"))
        load_dataset(st)
        team_hex = st.sql("SELECT HEX(id) FROM team WHERE name = 'Bench small team 0'")[0][0]
        envs = [uuid_of(r[0]) for r in st.sql(
            "SELECT HEX(id) FROM environment WHERE team_id = UNHEX('%s') ORDER BY id" % team_hex)]
        token = st.ctl("token", "create", "--team", uuid_of(team_hex)).stdout.strip()
        env_token = st.ctl("token", "create", "--environment", envs[0]).stdout.strip()
        team_ids = [uuid_of(r[0]) for r in st.sql(
            "SELECT HEX(id) FROM environment_integration WHERE team_id = UNHEX('%s')"
            " ORDER BY created_at, id" % team_hex)]
        names = sorted({r[0] for r in st.sql(
            "SELECT DISTINCT i.name FROM environment_integration ei JOIN integration i"
            " ON i.id = ei.integration_id WHERE ei.team_id = UNHEX('%s')" % team_hex)})
        rng = random.Random(args.seed)
        picked = rng.sample(team_ids, ROWS_PER_CLIENT * args.clients)
        init = owned_state(st, picked)
        owned = [[dict(id=i, version=init[i][0], state=init[i][1])
                  for i in picked[c * ROWS_PER_CLIENT:(c + 1) * ROWS_PER_CLIENT]]
                 for c in range(args.clients)]
        st.start_app()
        st.start_nginx()
        master = st.master_pid()
        cfg = dict(port=st.http_port, errlog=errlog, token=token, env_token=env_token, env_of_token=envs[0],
                   envs=envs, team_ids=team_ids, team_rows=len(team_ids), team_hex=team_hex,
                   names=rng.sample(names, min(20, len(names))), owned=owned,
                   db_timeout=args.db_timeout, seed=args.seed, run="%08x" % rng.getrandbits(32))
        # a first walk warms the buffer pool before the clock starts
        cursor = ""
        while cursor is not None:
            r = st.get("/environment-integration?limit=100&next_cursor=" + urllib.parse.quote(cursor),
                       token=token)
            if r.status != 200:
                raise RuntimeError("warm-up walk: %d %r" % (r.status, r.body[:200]))
            cursor = r.json()["next_cursor"]
        print("soak: %d clients, %d workers, %.0f s, seed %s; kills every %g s, MariaDB restart at "
              "+%.0f s" % (args.clients, args.workers, args.seconds, args.seed, KILL_INTERVAL,
                           args.seconds / 2), flush=True)

        ctx = multiprocessing.get_context("fork")
        outdir = os.path.join(st.dir, "soak")
        os.makedirs(outdir)
        for c in range(args.clients):
            pr = ctx.Process(target=client_main, args=(c, cfg, stop, os.path.join(outdir, "c%d.pickle" % c)))
            pr.start()
            procs.append(pr)
        t0 = time.monotonic()
        cfg["wall0"] = time.time()
        chaos = Chaos(st, t0, args.seconds, args.seed, stop)
        for fn in (chaos.killer, chaos.db_restart, chaos.db_watch, chaos.sampler):
            th = threading.Thread(target=fn, daemon=True)
            th.start()
            threads.append(th)
        # the start RSS sample: after a warm-up, before the first kill
        time.sleep(min(10.0, KILL_INTERVAL / 2, args.seconds / 6))
        chaos.rss_start = (time.monotonic(), chaos.sample_rss())
        next_print = t0 + 30
        while True:
            now = time.monotonic()
            if now >= t0 + args.seconds:
                break
            if now >= next_print:
                print("soak: +%.0f s, %d kills%s" % (
                    now - t0, len(chaos.kills), ", database restarted" if "back" in chaos.db
                    else ", database down" if "stop_sent" in chaos.db else ""), flush=True)
                next_print += 30
            time.sleep(min(0.5, t0 + args.seconds - now))
        chaos.rss_end = (time.monotonic(), chaos.sample_rss())
        t_end = time.monotonic()
        stop.set()
        for th in threads:
            th.join(75)
        for pr in procs:
            pr.join(args.db_timeout + HANG_SLACK + 10)
        results = []
        stuck = []
        for c, pr in enumerate(procs):
            if pr.is_alive():
                stuck.append(c)
                pr.terminate()
                pr.join(5)
                continue
            with open(os.path.join(outdir, "c%d.pickle" % c), "rb") as f:
                results.append(pickle.load(f))
        an = Analysis(args, cfg, chaos, results, t0, t_end, st)
        for c in stuck:
            an.v(t_end, "client %d did not stop (a request hung)" % c)
        if "stop_sent" in chaos.db and "back" not in chaos.db:
            an.v(t_end, "MariaDB was not started again")
        if st.db_proc is None or st.db_proc.poll() is not None:
            # died after the watcher stopped: the write check needs it
            chaos.crashes.append(dict(died=t_end, status=st.db_proc and st.db_proc.returncode,
                                      start_sent=time.monotonic()))
            st.db_proc = None
            st.start_db()
            chaos.crashes[-1]["back"] = time.monotonic()
        an.classify()
        try:
            an.check_writes()
        except Exception:
            an.v(t_end, "write check: could not run: " + traceback.format_exc())
        an.check_processes(master)
        text = an.report(master)
        print(text, flush=True)
        with open(os.path.join(st.dir, "soak-report.txt"), "w") as f:
            f.write(text + "\n")
        rc = 1 if an.violations else 0
        if rc:
            keep = True
    except KeyboardInterrupt:
        print("soak: interrupted; cleaning up", file=sys.stderr, flush=True)
        rc = 130
    except Exception:
        traceback.print_exc()
        keep = True
        rc = 1
    finally:
        stop.set()
        for pr in procs:
            if pr.is_alive():
                pr.terminate()
            pr.join(5)
        for th in threads:
            th.join(75)
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # finish cleaning up
        st.close(keep=keep)
        if keep:
            print("soak: kept %s (envint.log, nginx-*.log, mysqld.log, soak-report.txt)" % st.dir)
    return rc


if __name__ == "__main__":
    sys.exit(main())
