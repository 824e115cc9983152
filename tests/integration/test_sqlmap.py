"""SQL-injection sweep (issue 6): Debian's sqlmap against every value the
API takes from a client, through nginx on 127.0.0.1, with a valid token.

Targets (one sqlmap run each, see targets()):
  list-l2, list-l1a, list-l1b
            GET /environment-integration: every filter field of API.md in
            every operator spelling (bare, [eq] [ne] [in] [nin], [gt] [gte]
            [lt] [lte] on the timestamps, comma lists, [in][] and [nin][0]
            arrays, both integration.name / integration[name] spellings),
            limit and next_cursor. Three URLs because envint takes at most
            64 parameters; in each, every filter matches the same row, so a
            true condition keeps it and a false one empties the page.
  get-id, patch-id, delete-id, history-id, restore-id
            the {id} path segment (sqlmap's * marker in the URL)
  history-q the history page's limit, version and next_cursor
  restore-body-l2
            a restore body's version
  auth      the bearer token (its selector picks an api_token row)
  patch-body-l2/-l1, post-body-l2/-l1
            every scalar of a PATCH and a POST body: the top-level fields,
            each override value down to the nested ones, array items, and
            the keys of the free-form maps (* markers, see patch_body())

sqlmap options (sqlmap_args()), and why:
  --level 2 on the first spelling of each list field, limit, next_cursor,
  the path ids, the token, and the top-level body fields; --level 1 on the
  other operator spellings and the nested override values, which reach the
  same parsers. Level 1 has the ', '), ) and numeric boundaries; level 2
  adds the double-quoted and LIKE ones (MySQL takes "..." as a string) and
  ~4x the tests, at ~5x the requests (measured ~30 vs ~190 per parameter).
  Level 3 and up adds the User-Agent and Referer headers (envint reads
  neither) at another ~3x: not worth the budget.
  --risk 1: no OR-based or heavy-query payloads. PATCH and DELETE are
  UPDATE and DELETE statements; an OR payload on an injectable one would
  rewrite or remove every row of the table.
  --dbms MySQL, --technique BEUST (boolean, error, UNION, stacked, time).
  --time-sec 2 with --disable-stats: "delayed" means a reply of 2 s or
  more, not sqlmap's statistical model (which counts anything past 0.5 s
  and would make a slow ASan run under load a false positive).
  --timeout 10 --retries 1 per request; --skip-waf (its probe sends an
  unknown parameter, which envint rightly answers 400); --ignore-stdin (a
  piped stdin turns on sqlmap's "multiple targets" mode); --flush-session;
  HOME and --output-dir under the stack's temp dir, never the user's home.
  Each run sends its own User-Agent, so nginx's access log says whose each
  request was. Two runs at a time; one deadline (WALL_SECONDS) bounds them
  all, and a run still going then is killed and counted as a failure.

test_sqlmap_sweep fails when sqlmap reports anything injectable: a line
that says "injectable" and is not one of its negative verdicts, "is
vulnerable", "identified the following injection point", or a non-empty
sqlmap log file. It fails too when sqlmap did not really exercise a
target: a parameter it did not test or gave no verdict on, one not tried
with each of boolean, error, UNION and time-based tests (stacked too at
level 2), fewer requests in nginx's log than the level makes, a 401, not
one 2xx (sqlmap never saw the real page), any 5xx, or a request that never
reached envint. What it tried is printed as TAP comments.

Everything happens in a tenant of its own ("SQLMap Team", made with
envintctl): the rows PATCH, POST and DELETE hit are its own.
test_sqlmap_did_no_damage then compares the rest of the database with a
snapshot taken before the sweep.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timedelta

from helpers import check, hex_to_uuid

PATH = "/environment-integration"
SQLMAP = shutil.which("sqlmap") or "/usr/bin/sqlmap"
RISK = 1
TECHNIQUES = "BEUST"
TIME_SEC = 2
REQUEST_TIMEOUT = 10
RETRIES = 1
PARALLEL = 2
WALL_SECONDS = 180          # hard bound on the whole sweep (it takes 35-70 s)
MIN_REQUESTS = {1: 20, 2: 80}   # per tested parameter, by level (measured: ~30 and ~190)
# every technique class must have been tried on every parameter
TECHNIQUE_CLASSES = {
    "boolean": re.compile(r"boolean-based", re.I),
    "error": re.compile(r"error-based", re.I),
    "union": re.compile(r"UNION query", re.I),
    "time": re.compile(r"time-based", re.I),
}
STACKED = re.compile(r"stacked queries", re.I)      # level 2 and up

# sqlmap's verdicts. A line that says "injectable" must be one of the
# negative ones; anything else is a finding (so is any of FINDING).
NEGATIVE = re.compile(r"does not seem to be injectable|might not be injectable|"
                      r"do not appear to be injectable|nor injectable parameters are detected")
FINDING = re.compile(r"is vulnerable|identified the following injection point|"
                     r"false positive or unexploitable injection point", re.I)
TESTING_PARAM = re.compile(r"\] testing for SQL injection on (.*?)parameter '(.+)'$")
NOT_INJECTABLE = re.compile(r"parameter '(.+)' does not seem to be injectable$")
TESTING_TITLE = re.compile(r"\] testing '(.+)'$")
ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<uri>\S*) [^"]*" (?P<status>\d{3}) \S+ "[^"]*" '
                    r'"(?P<ua>[^"]*)"$')
# envint's line per request: method, decoded path (may hold spaces), status,
# bytes, time, request id
ENVINT_REQ = re.compile(r"(?m)\] info: [A-Z]+ /.* \d{3} \d+ \d+us [0-9a-f]+$")
UA_PREFIX = "envint-sqlmap/"


# ---------------------------------------------------------------------------
# The tenant and its rows

class World:
    pass


_WORLDS = {}


def world(stack):
    w = _WORLDS.get(id(stack))
    if w is not None:
        return w
    w = World()
    w.dir = tempfile.mkdtemp(prefix="sqlmap-", dir=stack.dir)
    w.team = stack.ctl_out("team", "create", "--name", "SQLMap Team", "--domain", "sqlmap.example")
    w.prod = stack.ctl_out("environment", "create", "--team", w.team, "--name", "prod")
    w.stage = stack.ctl_out("environment", "create", "--team", w.team, "--name", "stage")
    # a team token: environment_id is then a real filter, and POST needs it
    w.token = stack.ctl_out("token", "create", "--team", w.team, "--name", "sqlmap")
    w.integ = {}
    w.row = {}
    # anchor: the row before the list target (next_cursor points past it);
    # list: the row every list filter matches; patch, delete: what those
    # targets write; post: already installed, so POST answers 200 with it;
    # history: read by the history targets; restore: what those write
    for role in ("anchor", "list", "patch", "delete", "post", "history", "restore"):
        path = os.path.join(w.dir, role + ".json")
        with open(path, "w") as f:
            json.dump({"name": "sqlmap-" + role, "category": "sqlmap-cat-" + role,
                       "is_beta": False, "sharing": "deny",
                       "config": {"base_url": "https://%s.sqlmap.example/api" % role}}, f)
        w.integ[role] = stack.ctl_out("integration", "import", path, "--team", w.team)
        w.row[role] = stack.ctl_out("install", "--environment", w.prod,
                           "--integration", w.integ[role])
        time.sleep(0.003)   # distinct created_at for each row
    w.obj = {}
    for role in ("anchor", "list"):
        r = stack.get(PATH + "/" + w.row[role], token=w.token)
        check(r.status == 200, "GET %s row: %d %r" % (role, r.status, r.body[:200]))
        w.obj[role] = r.json()
    r = stack.get(PATH + "?limit=1", token=w.token)
    check(r.status == 200, "first page: %d %r" % (r.status, r.body[:200]))
    page = r.json()
    check([o["id"] for o in page["result"]] == [w.row["anchor"]] and page["next_cursor"],
          "first page of the sqlmap tenant: %r" % page)
    w.cursor = page["next_cursor"]
    # the history row gets a second entry: its first page of one has a cursor
    r = stack.request("PATCH", PATH + "/" + w.row["history"], token=w.token,
                      body={"is_enabled": False})
    check(r.status == 200, "PATCH of the history row: %d %r" % (r.status, r.body[:200]))
    r = stack.get(PATH + "/" + w.row["history"] + "/history?limit=1", token=w.token)
    check(r.status == 200 and r.json()["next_cursor"], "history page: %r" % r.body[:300])
    w.history_cursor = r.json()["next_cursor"]
    _WORLDS[id(stack)] = w
    return w


# ---------------------------------------------------------------------------
# Targets

class Target:
    def __init__(self, name, method, url, level, params, data=None, labels=None,
                 restrict=False, headers=None, auth_target=False, extra=()):
        self.name = name
        self.method = method
        self.url = url                  # path and query, may hold * markers
        self.level = level
        self.params = params            # names as sqlmap prints them
        self.data = data
        self.labels = labels or {}      # sqlmap name -> what it stands for
        self.restrict = restrict        # pass -p params
        self.headers = headers
        self.auth_target = auth_target  # 401 is the expected answer
        self.extra = list(extra)        # more sqlmap options


def _later(ts, ms):
    """An API timestamp moved by ms milliseconds."""
    t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def list_params(w):
    """(name, value, level) for every list parameter; all match the list row.
    Level 2 for one spelling of each field, 1 for the rest."""
    row, other = w.obj["list"], w.obj["anchor"]
    out = []

    def field(name, match, miss, ordered=False, alias=None):
        out.append((name, match, 2))
        if alias:
            out.append((alias, match, 2))
        spell = alias or name
        out.extend([
            (name + "[eq]", match, 1),
            (spell + "[ne]", miss, 1),
            (name + "[in]", match + "," + miss, 1),
            (spell + "[nin]", miss, 1),
            (name + "[in][]", match, 1),
            (spell + "[nin][0]", miss, 1),
            (name + "[in][1]", match, 1),
        ])
        if ordered:
            out.extend([(name + "[gt]", _later(match, -1), 1), (name + "[gte]", match, 1),
                        (name + "[lt]", _later(match, 1), 1), (name + "[lte]", match, 1)])

    field("id", row["id"], other["id"])
    field("integration_id", row["integration_id"], other["integration_id"])
    field("environment_id", row["environment_id"], w.stage)
    for b in ("show_in_catalog", "is_enabled"):
        v = "true" if row[b] else "false"
        out += [(b, v, 2), (b + "[eq]", v, 1), (b + "[ne]", "false" if row[b] else "true", 1)]
    field("integration.name", row["integration"]["name"], other["integration"]["name"],
          alias="integration[name]")
    field("integration.category", row["integration"]["category"],
          other["integration"]["category"], alias="integration[category]")
    field("created_at", row["created_at"], other["created_at"], ordered=True)
    field("updated_at", row["updated_at"], other["updated_at"], ordered=True)
    out += [("limit", "10", 2), ("next_cursor", w.cursor, 2)]
    return out


def list_url(params):
    return PATH + "?" + "&".join("%s=%s" % (n, urllib.parse.quote(v, safe=",:"))
                                 for n, v, _ in params)


class Mark:
    """A value (or key) for sqlmap to inject into: written with a * after it."""

    def __init__(self, value, level=1):
        self.value = value
        self.level = level


def marked_json(doc, level):
    """JSON text of doc with a * after each Mark of this level (the others
    are written plain), and the list of JSON paths marked, in order."""
    paths = []

    def enc(v, path):
        if isinstance(v, Mark):
            if v.level != level:
                return enc(v.value, path)
            paths.append(path)
            s = json.dumps(v.value)
            return s[:-1] + '*"' if s.endswith('"') else s + "*"
        if isinstance(v, dict):
            parts = []
            for k, x in v.items():
                if isinstance(k, Mark):
                    ktext = enc(k, path + "." + k.value + " (key)")
                    k = k.value
                else:
                    ktext = json.dumps(k)
                parts.append("%s: %s" % (ktext, enc(x, (path + "." if path else "") + k)))
            return "{" + ", ".join(parts) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(enc(x, "%s[%d]" % (path, i)) for i, x in enumerate(v)) + "]"
        return json.dumps(v)
    return enc(doc, ""), paths


def patch_body():
    M = Mark
    return {
        "show_in_catalog": M(True, 2),
        "is_enabled": M(True, 2),
        "override": {
            "base_url": M("https://sqlmap.example/api"),
            "label": M("label", 2),
            "logo": M("https://sqlmap.example/logo.png"),
            "icon": M("icon"),
            "description": M("description"),
            "error_expression": M("error"),
            "query_array_format": M("comma", 2),
            "headers": {M("X-Sqlmap"): M("header")},
            "query": {M("q"): M("query")},
            "tags": [M("tag-a"), "tag-b"],
            "environment_variables": {M("var"): M("value"), "num": M(1), "flag": M(True)},
            "authorization": {"format": M("bearer"), "config": {"path": M("$.token")}},
            "pagination": {"format": M("cursor"), "config": {"cursor_field": M("next")}},
            "credentials": {"format": M("oauth2"),
                            "config": {"client": {"id": M("client"), "secret": M("secret")}}},
            "rate_limit": {"retry_after_header_expression": M("expr")},
            "webhook": {"signature_verification": {"format": M("hmac"),
                                                   "config": {"secret": M("s")}}},
            "resources": {M("tickets"): {"list": {"method": M("get"), "path": M("/tickets")}}},
            "actions": {M("act"): {"description": M("d")}},
            "tool_tags": {M("tickets"): [M("read")]},
        },
    }


def post_body(w):
    M = Mark
    return {
        "integration_id": M(w.integ["post"], 2),
        "environment_id": M(w.prod, 2),
        "show_in_catalog": M(True),
        "is_enabled": M(True),
        "override": {"label": M("label"), "headers": {M("X-Sqlmap"): M("header")}},
    }


def body_targets(name, method, url, doc):
    out = []
    for level in (2, 1):
        text, paths = marked_json(doc, level)
        if not paths:
            continue
        names = ["JSON #%d*" % (i + 1) for i in range(len(paths))]
        out.append(Target("%s-l%d" % (name, level), method, url, level, names, data=text,
                          labels=dict(zip(names, paths))))
    return out


def targets(w):
    ts = []
    # envint takes at most 64 parameters (FILTER_MAX_PARAMS): three URLs,
    # each of whose filters all match the list row
    params = list_params(w)
    l2 = [p for p in params if p[2] == 2]
    l1 = [p for p in params if p[2] == 1]
    half = (len(l1) + 1) // 2
    for name, group, level in (("list-l2", l2, 2), ("list-l1a", l1[:half], 1),
                               ("list-l1b", l1[half:], 1)):
        ts.append(Target(name, "GET", list_url(group), level, [n for n, _, _ in group],
                         restrict=True))
    ts.append(Target("get-id", "GET", "%s/%s*" % (PATH, w.row["list"]), 2, ["#1*"],
                     labels={"#1*": "{id} of GET"}))
    # the body is the body-targets' business: sent as is, not injected into
    ts.append(Target("patch-id", "PATCH", "%s/%s*" % (PATH, w.row["patch"]), 2, ["#1*"],
                     data='{"is_enabled": true}', labels={"#1*": "{id} of PATCH"},
                     headers="Authorization: Bearer %s\nContent-Type: application/json"
                     % w.token, extra=["--answers", "keep testing=Y,JSON data found=N"]))
    # its first request deletes the row: 404 is the page from then on
    ts.append(Target("delete-id", "DELETE", "%s/%s*" % (PATH, w.row["delete"]), 2, ["#1*"],
                     labels={"#1*": "{id} of DELETE"}, extra=["--ignore-code", "404"]))
    ts.append(Target("auth", "GET", "%s/%s" % (PATH, w.row["list"]), 2,
                     ["Authorization #1*"], headers="Authorization: Bearer %s*" % w.token,
                     labels={"Authorization #1*": "the bearer token"}, auth_target=True,
                     extra=["--ignore-code", "401",
                            # (no URI injection: that is get-id's)
                            "--answers", "keep testing=Y,URI injections=N"]))
    # the history page: every parameter matches entry 1 (below the cursor)
    hist = "%s/%s/history" % (PATH, w.row["history"])
    ts.append(Target("history-q", "GET", "%s?limit=5&version=1&next_cursor=%s" % (
        hist, urllib.parse.quote(w.history_cursor)), 2, ["limit", "version", "next_cursor"],
        restrict=True))
    ts.append(Target("history-id", "GET", "%s/%s*/history" % (PATH, w.row["history"]), 2,
                     ["#1*"], labels={"#1*": "{id} of GET history"}))
    ts.append(Target("restore-id", "POST", "%s/%s*/restore" % (PATH, w.row["restore"]), 2,
                     ["#1*"], data='{"version": 1}', labels={"#1*": "{id} of POST restore"},
                     headers="Authorization: Bearer %s\nContent-Type: application/json"
                     % w.token, extra=["--answers", "keep testing=Y,JSON data found=N"]))
    ts += body_targets("restore-body", "POST", "%s/%s/restore" % (PATH, w.row["restore"]),
                       {"version": Mark(1, 2)})
    ts += body_targets("patch-body", "PATCH", "%s/%s" % (PATH, w.row["patch"]), patch_body())
    ts += body_targets("post-body", "POST", PATH, post_body(w))
    return ts


# ---------------------------------------------------------------------------
# Running sqlmap

def sqlmap_args(stack, t, token, outdir):
    args = [SQLMAP, "-u", "http://127.0.0.1:%d%s" % (stack.http_port, t.url),
            "--batch", "--ignore-stdin", "--skip-waf", "--flush-session", "--disable-coloring",
            "--level", str(t.level), "--risk", str(RISK), "--dbms", "MySQL",
            "--technique", TECHNIQUES, "--time-sec", str(TIME_SEC), "--disable-stats",
            "--timeout", str(REQUEST_TIMEOUT), "--retries", str(RETRIES),
            "--headers", t.headers or "Authorization: Bearer %s" % token,
            "--user-agent", UA_PREFIX + t.name,
            "--output-dir", outdir, "-v", "1"]
    # on a finding, go on with the other parameters: report them all
    if "--answers" not in t.extra:
        args += ["--answers", "keep testing=Y"]
    args += t.extra
    if t.method != "GET":
        args += ["--method", t.method]
    if t.data is not None:
        args += ["--data", t.data]
    if t.restrict:
        args += ["-p", ",".join(t.params)]
    return args


def run_one(stack, t, token, deadline, results):
    outdir = os.path.join(world(stack).dir, t.name)
    home = os.path.join(outdir, "home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, TERM="dumb", XDG_DATA_HOME=home)
    args = sqlmap_args(stack, t, token, outdir)
    t0 = time.monotonic()
    res = {"args": args, "timeout": False, "rc": None, "out": ""}
    remaining = deadline - t0
    if remaining <= 0:
        res["timeout"] = True
    else:
        try:
            p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env, timeout=remaining)
            res["rc"] = p.returncode
            res["out"] = p.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:   # run() has killed it
            res["timeout"] = True
            res["out"] = (e.output or b"").decode("utf-8", "replace")
    res["seconds"] = time.monotonic() - t0
    res["log"] = ""
    hostlog = os.path.join(outdir, "127.0.0.1", "log")
    if os.path.exists(hostlog):
        with open(hostlog, errors="replace") as f:
            res["log"] = f.read()
    results[t.name] = res


def run_all(stack, ts, token):
    deadline = time.monotonic() + WALL_SECONDS
    results = {}
    queue = list(ts)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                t = queue.pop(0)
            run_one(stack, t, token, deadline, results)
    threads = [threading.Thread(target=worker) for _ in range(PARALLEL)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(WALL_SECONDS + 60)
    return results


# ---------------------------------------------------------------------------
# Reading what sqlmap said and what the servers saw

def parse_output(text):
    """{tested: [names], titles: {name: [test titles]}, verdicts: set,
    findings: [lines], critical: [CRITICAL and ERROR lines]}"""
    tested, titles, verdicts, findings, critical = [], {}, set(), [], []
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        m = TESTING_PARAM.search(line)
        if m:
            current = m.group(2)
            tested.append(current)
            titles.setdefault(current, [])
            continue
        m = TESTING_TITLE.search(line)
        if m and current is not None:
            titles[current].append(m.group(1))
            continue
        m = NOT_INJECTABLE.search(line)
        if m:
            verdicts.add(m.group(1))
        if ("injectable" in line.lower() and not NEGATIVE.search(line)) or FINDING.search(line):
            findings.append(line)
        if "[CRITICAL]" in line or "[ERROR]" in line:
            critical.append(line)
    return {"tested": tested, "titles": titles, "verdicts": verdicts, "findings": findings,
            "critical": critical}


def access_log_lines(stack):
    path = os.path.join(stack.dir, "nginx-access.log")
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return f.read().splitlines()


def requests_by_target(lines):
    """{target name: [(method, uri, status)]} for lines with our User-Agent."""
    out = {}
    for line in lines:
        m = ACCESS.search(line)
        if m and m.group("ua").startswith(UA_PREFIX):
            out.setdefault(m.group("ua")[len(UA_PREFIX):], []).append(
                (m.group("method"), m.group("uri"), int(m.group("status"))))
    return out


def technique_classes(titles):
    got = {k for k, rx in TECHNIQUE_CLASSES.items() if any(rx.search(x) for x in titles)}
    if any(STACKED.search(x) for x in titles):
        got.add("stacked")
    return got


def judge(t, res, reqs):
    """Prints what sqlmap tried on t; returns a list of problems."""
    problems = []
    p = parse_output(res["out"])
    statuses = {}
    for _, _, s in reqs:
        statuses[s] = statuses.get(s, 0) + 1
    print("# sqlmap %s: %s %s (level %d, %.1f s, exit %s, %d requests: %s)" % (
        t.name, t.method, t.url if len(t.url) < 100 else t.url[:97] + "...", t.level,
        res["seconds"], res["rc"], len(reqs),
        " ".join("%d x%d" % (s, n) for s, n in sorted(statuses.items()))), flush=True)
    for name in p["tested"]:
        got = technique_classes(p["titles"].get(name, []))
        verdict = "not injectable" if name in p["verdicts"] else "NO VERDICT"
        label = t.labels.get(name)
        print("#   %-28s %-40s %2d tests [%s] %s" % (
            name, "(%s)" % label if label else "", len(p["titles"].get(name, [])),
            ",".join(sorted(got)), verdict), flush=True)
    for line in p["critical"]:
        if "do not appear to be injectable" not in line:     # its usual last word
            print("#   sqlmap: %s" % line, flush=True)
    for line in p["findings"]:
        print("#   FINDING: %s" % line, flush=True)
    if res["log"].strip():
        for line in res["log"].splitlines()[:40]:
            print("#   log: %s" % line, flush=True)

    if res["timeout"]:
        problems.append("%s: sqlmap did not finish within the %d s budget" % (t.name, WALL_SECONDS))
    if p["findings"] or res["log"].strip():
        problems.append("%s: sqlmap reports an injection point: %s" % (
            t.name, "; ".join(p["findings"]) or res["log"][:300]))
    if res["rc"] not in (0, None) and not res["timeout"]:
        problems.append("%s: sqlmap exit status %s" % (t.name, res["rc"]))
    missing = [n for n in t.params if n not in p["tested"]]
    if missing:
        problems.append("%s: sqlmap did not test %s" % (t.name, ", ".join(missing)))
    extra = [n for n in p["tested"] if n not in t.params]
    if extra:
        problems.append("%s: sqlmap tested unexpected parameters %s" % (t.name, ", ".join(extra)))
    for name in p["tested"]:
        if name not in p["verdicts"] and not p["findings"]:
            problems.append("%s: no verdict for %s (sqlmap stopped early?)" % (t.name, name))
        want = set(TECHNIQUE_CLASSES) | ({"stacked"} if t.level >= 2 else set())
        lack = want - technique_classes(p["titles"].get(name, []))
        if lack:
            problems.append("%s: %s was not tried with %s" % (t.name, name, ", ".join(sorted(lack))))
    need = MIN_REQUESTS[t.level] * len(t.params)
    if len(reqs) < need:
        problems.append("%s: only %d requests in nginx's log, wanted at least %d"
                        % (t.name, len(reqs), need))
    if not t.auth_target:
        if statuses.get(401) or statuses.get(403):
            problems.append("%s: %d requests were refused (401/403): the token did not work"
                            % (t.name, statuses.get(401, 0) + statuses.get(403, 0)))
        ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
        if not ok:
            problems.append("%s: not one 2xx answer: sqlmap never saw the real page" % t.name)
    else:
        if reqs and statuses.get(401, 0) < len(reqs) // 2:
            problems.append("%s: the token target got few 401s: %r" % (t.name, statuses))
    fives = sum(n for s, n in statuses.items() if s >= 500)
    if fives:
        bad = [(m, u, s) for m, u, s in reqs if s >= 500][:5]
        problems.append("%s: %d answers were 5xx, e.g. %r" % (t.name, fives, bad))
    return problems


# ---------------------------------------------------------------------------
# The database, before and after

_TABLES = ("team", "environment", "integration", "api_token", "schema_version")


def db_state(stack, team):
    """Checksums of the tables the sweep must not touch at all, and of every
    environment_integration row and history entry outside the sqlmap
    tenant."""
    t = team.replace("-", "")
    rows = stack.sql(
        "CHECKSUM TABLE %s;"
        " SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', HEX(id), HEX(environment_id),"
        " HEX(team_id), HEX(integration_id), show_in_catalog, is_enabled,"
        " COALESCE(SHA2(override, 256), 'NULL'), version, created_at, updated_at))), 0),"
        " COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', HEX(id), COALESCE(override, 'NULL'),"
        " version, updated_at))), 0)"
        " FROM environment_integration WHERE team_id <> UNHEX('%s');"
        " SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', HEX(h.ei_id), h.version,"
        " h.kind, COALESCE(SHA2(o.override, 256), 'NULL'), COALESCE(o.refs, 'NULL')))), 0)"
        " FROM ei_history h LEFT JOIN ei_history_override o"
        "  ON o.ei_id = h.ei_id AND o.sha256 = h.override_sha WHERE h.team_id <> UNHEX('%s');"
        " SELECT COUNT(*) FROM environment_integration WHERE team_id = UNHEX('%s')"
        % (", ".join(_TABLES), t, t, t))
    return [tuple(r) for r in rows]


_BEFORE = {}


def test_sqlmap_sweep(stack):
    check(os.access(SQLMAP, os.X_OK), "sqlmap is not installed (%s); Debian: apt-get install sqlmap"
          % SQLMAP)
    w = world(stack)
    ts = targets(w)
    _BEFORE[id(stack)] = db_state(stack, w.team)
    access_before = len(access_log_lines(stack))
    envint_before = len(ENVINT_REQ.findall(stack.app_log()))
    print("# sqlmap %s: %d targets, %d parameters, risk %d, techniques %s, time-sec %d,"
          " %d at a time, hard limit %d s" % (
              SQLMAP, len(ts), sum(len(t.params) for t in ts), RISK, TECHNIQUES, TIME_SEC,
              PARALLEL, WALL_SECONDS), flush=True)
    t0 = time.monotonic()
    results = run_all(stack, ts, w.token)
    elapsed = time.monotonic() - t0
    lines = access_log_lines(stack)[access_before:]
    by_target = requests_by_target(lines)
    envint_seen = len(ENVINT_REQ.findall(stack.app_log())) - envint_before
    problems = []
    for t in ts:
        res = results.get(t.name)
        if res is None:
            problems.append("%s: never ran" % t.name)
            continue
        problems += judge(t, res, by_target.get(t.name, []))
    ours = sum(len(v) for v in by_target.values())
    print("# sqlmap sweep: %.1f s, %d requests in nginx's log, %d handled by envint"
          % (elapsed, ours, envint_seen), flush=True)
    # every request reached envint (nginx did not answer any of them itself)
    if envint_seen < ours:
        problems.append("only %d of sqlmap's %d requests reached envint" % (envint_seen, ours))
    check(not problems, "sqlmap sweep:\n" + "\n".join(problems))


def test_sqlmap_did_no_damage(stack):
    """Everything outside the sqlmap tenant is as it was; inside it, the
    rows are those made (less the DELETE target, plus nothing)."""
    w = _WORLDS.get(id(stack))
    before = _BEFORE.get(id(stack))
    check(w is not None and before is not None, "the sweep did not run")
    after = db_state(stack, w.team)
    check(after[:-1] == before[:-1], "the database changed:\nbefore %r\nafter  %r"
          % (before[:-1], after[:-1]))
    ids = sorted(hex_to_uuid(r[0]) for r in stack.sql(
        "SELECT HEX(id) FROM environment_integration WHERE team_id = UNHEX('%s')"
        % w.team.replace("-", "")))
    want = sorted(v for k, v in w.row.items() if k != "delete")
    check(ids == want, "sqlmap tenant rows %r, wanted %r" % (ids, want))
    # the rows written through the API still read back as valid objects
    for role in ("list", "patch", "post"):
        r = stack.get(PATH + "/" + w.row[role], token=w.token)
        check(r.status == 200, "GET %s row after the sweep: %d %r" % (role, r.status, r.body[:200]))
        obj = r.json()
        check(isinstance(obj.get("override"), dict), "override of %s: %r" % (role, obj))
    check(stack.get("/healthz").status == 200, "not healthy after the sweep")
