"""A MariaDB Galera cluster of three nodes on loopback, two envint instances
over it and one nginx in front of both, all under one temp dir and stopped
by recorded pid (issue 16 §7). Used by tests/cluster/run (the short TAP run
of ./dev.sh test) and tests/cluster/long.py (./dev.sh cluster [SECONDS]).
Python standard library only.

Start-up avoids full state transfers (SST): one datadir is initialised
and bootstrapped alone, the schema and the data go in, it is shut down
cleanly, and the other two nodes start from copies of it (same cluster
UUID and seqno in grastate.dat). They join by IST of the few writesets
since (Galera 4 orders the configuration changes too), the rsync SST
script running in bypass mode, which copies nothing: about 3.5 s per node.
A node killed with -9 has seqno -1 in grastate.dat and would ask for an
SST; its position is recovered from InnoDB first (mariadbd --wsrep-recover,
as the systemd unit's galera_recovery does), so it rejoins by IST too.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from stack import Stack, children, pid_alive  # noqa: E402

GALERA = "/usr/lib/galera/libgalera_smm.so"
DB_PASSWORD = Stack.DB_PASSWORD

# Every envint instance gets its ordered node list (db_host = "h:p, h:p,
# h:p"). ENVINT_CLUSTER_NODE_LIST=0 gives each one its first node alone
# (db_host + db_port), as a deployment without failover runs.
NODE_LIST = os.environ.get("ENVINT_CLUSTER_NODE_LIST", "1") == "1"

# Galera's failure detection, shortened for loopback (defaults: keepalive
# PT1S, suspect PT5S, inactive PT15S, install PT7.5S): a node killed with -9
# or isolated is dropped from the view after ~4.5 s here; the survivors'
# commits wait meanwhile, and the isolated node answers 1047 only after it.
EVS_OPTIONS = ("evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT3S;"
               "evs.inactive_timeout=PT6S;evs.install_timeout=PT6S;"
               "evs.inactive_check_period=PT0.5S")


class Timeout(RuntimeError):
    pass


def poll(pred, ceiling, what, interval=0.2):
    """Calls pred() until it returns a true value (returned) or `ceiling`
    seconds pass (Timeout naming `what` and the last value seen)."""
    deadline = time.monotonic() + ceiling
    last = None
    while True:
        try:
            last = pred()
            if last:
                return last
        except (OSError, subprocess.SubprocessError) as e:
            last = e
        if time.monotonic() >= deadline:
            raise Timeout("timed out after %g s waiting for %s (last: %r)" % (ceiling, what, last))
        time.sleep(interval)


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1, held together while chosen so
    that no two are the same; a port taken by someone else in between shows
    up as a failed bind at start."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def db_host_of(nodes, node_list=None):
    """The db_* keys of an envint instance that talks to `nodes` in this
    order: with the node list, db_host = "127.0.0.1:P1, 127.0.0.1:P2, ..."
    (an IPv6 host is written [h]:p); without it, one host: the first
    node's host and port."""
    if NODE_LIST if node_list is None else node_list:
        return {"db_socket": "", "db_host": ", ".join(n.hostport() for n in nodes)}
    return {"db_socket": "", "db_host": nodes[0].host, "db_port": str(nodes[0].port)}


def uuid_of(hexid):
    h = hexid.lower()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def run_as_mysql():
    """(uid, gid) of the mysql user when there is one and we are root; None
    otherwise. The nodes must not run as root: a join runs the rsync SST
    script even for an IST (in bypass mode), and its rsync daemon, dropped
    to nobody, cannot write the donor's completion marker ("mkstemp
    .rsync_sst_complete: Permission denied"), so the joiner aborts ("Will
    never receive state"); a full SST fails the same way on ibdata1. As
    mysql, with the node directories owned by it, both work."""
    if os.getuid() != 0:
        return None
    try:
        import pwd
        pw = pwd.getpwnam("mysql")
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        return None


def chown_tree(path, ids):
    if ids is None:
        return
    for d, dirs, files in os.walk(path):
        os.chown(d, *ids)
        for f in files:
            os.chown(os.path.join(d, f), *ids)


class Node:
    """One mariadbd with wsrep on, in its own directory under the run's."""

    def __init__(self, cluster, index, ports):
        self.cluster = cluster
        self.index = index
        self.name = "node%d" % index
        self.host = "127.0.0.1"
        self.port, self.base_port, self.ist_port, self.sst_port = ports
        self.dir = os.path.join(cluster.dir, self.name)
        self.datadir = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "mysqld.sock")
        self.log = os.path.join(self.dir, "mysqld.log")
        self.cnf = os.path.join(self.dir, "my.cnf")
        self.proc = None
        self.starts = []     # (monotonic time, how): for the report

    def hostport(self):
        return ("[%s]:%d" if ":" in self.host else "%s:%d") % (self.host, self.port)

    def write_cnf(self, extra=()):
        c = self.cluster
        user = "mysql" if c.ids else "root"
        peers = ",".join("127.0.0.1:%d" % n.base_port for n in c.nodes)
        lines = [
            "[mariadbd]",
            "user=%s" % user,
            "datadir=%s" % self.datadir,
            "socket=%s" % self.sock,
            "port=%d" % self.port,
            "bind-address=127.0.0.1",
            "pid-file=%s" % os.path.join(self.dir, "mysqld.pid"),
            # private: at start-up mariadbd deletes every #sql* file there
            "tmpdir=%s" % os.path.join(self.dir, "tmp"),
            "log-error=%s" % self.log,
            "skip-name-resolve",
            "skip-log-bin",
            "innodb-buffer-pool-size=64M",
            "innodb-log-file-size=32M",
            "max-connections=200",
            "character-set-server=utf8mb4",
            "collation-server=utf8mb4_bin",
            "thread-handling=pool-of-threads",
            "net-buffer-length=64K",
            # migration 0002 creates triggers: refused (1419) without SUPER
            # or this, on Galera even with the binary log off
            "log-bin-trust-function-creators=1",
            "binlog-format=ROW",
            "default-storage-engine=InnoDB",
            "innodb-autoinc-lock-mode=2",
            "wsrep-on=ON",
            "wsrep-provider=%s" % GALERA,
            "wsrep-cluster-name=envint-%s" % os.path.basename(c.dir),
            "wsrep-cluster-address=gcomm://%s" % peers,
            "wsrep-node-name=%s" % self.name,
            "wsrep-node-address=127.0.0.1",
            'wsrep-provider-options="base_port=%d;gmcast.listen_addr=tcp://127.0.0.1:%d;'
            'ist.recv_addr=127.0.0.1:%d;gcache.size=%s;%s"'
            % (self.base_port, self.base_port, self.ist_port, c.gcache, EVS_OPTIONS),
            "wsrep-sst-receive-address=127.0.0.1:%d" % self.sst_port,
            "wsrep-sst-method=rsync",
        ] + list(extra)
        with open(self.cnf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, new_cluster=False, how="start"):
        """Starts mariadbd (not waiting for it). new_cluster bootstraps a
        primary component of its own. After a crash the position is
        recovered first (recover_position), so the node joins by IST."""
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        chown_tree(self.dir, self.cluster.ids)
        args = ["mariadbd", "--defaults-file=" + self.cnf]
        if new_cluster:
            args.append("--wsrep-new-cluster")
        if self.grastate().get("seqno", "").strip() == "-1":
            pos = self.recover_position()
            chown_tree(self.dir, self.cluster.ids)
            if pos:
                args.append("--wsrep-start-position=" + pos)
            how += " (recovered %s)" % (pos or "nothing")
        out = open(os.path.join(self.dir, "mysqld.stdout"), "ab")
        self.proc = subprocess.Popen(args, stdout=out, stderr=out, start_new_session=True)
        out.close()
        self.cluster.pids.add(self.proc.pid)
        self.starts.append((time.monotonic(), how))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL, as a crash or the OOM killer would; waits for the
        process to be gone."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self, ceiling=60):
        """SIGTERM (a clean shutdown: grastate.dat keeps the seqno),
        SIGKILL after `ceiling` seconds."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=ceiling)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc

    def sql(self, query, database="", check=True, timeout=30):
        """Runs SQL as root over the node's socket; rows as lists of
        strings (check=False: the CompletedProcess)."""
        args = ["mariadb", "--no-defaults", "-S", self.sock, "-uroot", "--batch",
                "--skip-column-names", "--connect-timeout=5"]
        big = len(query) > 65536
        if not big:
            args += ["-e", query]
        if database:
            args.append(database)
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                           input=query if big else None)
        if not check:
            return r
        if r.returncode != 0:
            raise RuntimeError("%s: sql failed: %s: %s" % (self.name, query[:300], r.stderr.strip()))
        return [line.split("\t") for line in r.stdout.splitlines()]

    def status(self):
        """The wsrep status variables (name without wsrep_, lowercase) and
        what the node answers; {} when it does not answer."""
        if not self.running():
            return {}
        r = self.sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready',"
                     " 'wsrep_cluster_status', 'wsrep_cluster_size',"
                     " 'wsrep_local_state_comment', 'wsrep_connected',"
                     " 'wsrep_last_committed', 'wsrep_cluster_state_uuid')",
                     check=False, timeout=10)
        if r.returncode != 0:
            return {}
        return {k.lower()[len("wsrep_"):]: v for k, v in
                (line.split("\t") for line in r.stdout.splitlines())}

    def synced(self, size=None):
        s = self.status()
        ok = (s.get("ready") == "ON" and s.get("cluster_status") == "Primary"
              and s.get("local_state_comment") == "Synced")
        if size is not None:
            ok = ok and s.get("cluster_size") == str(size)
        return ok

    def grastate(self):
        try:
            with open(os.path.join(self.datadir, "grastate.dat")) as f:
                return dict(line.split(":", 1) for line in f.read().split("\n")
                            if ":" in line and not line.startswith("#"))
        except OSError:
            return {}

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_mark(self):
        """The error log's current size: transfers(since=mark) looks only
        at what came after."""
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def transfers(self, since=0):
        """How the node got its state after `since` (a log_mark), from its
        error log: 'SST' (a full copy), 'IST' (writesets from a peer's
        gcache; at a start the rsync script then runs in bypass mode and
        copies nothing) or 'none'."""
        try:
            with open(self.log, "rb") as f:
                f.seek(since)
                text = f.read().decode(errors="replace")
        except OSError:
            text = ""
        if "rsync SST completed" in text:
            return "SST"
        if "Receiving IST" in text or "IST received" in text:
            return "IST"
        return "none"

    def recover_position(self):
        """After a crash grastate.dat holds seqno -1, and a node started so
        asks for a full SST. The position is in InnoDB: `mariadbd
        --wsrep-recover` prints it (as galera_recovery does for the systemd
        unit), and --wsrep-start-position hands it to the start, which then
        joins by IST. Returns the position, or None."""
        out = os.path.join(self.dir, "recover.log")
        r = subprocess.run(["mariadbd", "--defaults-file=" + self.cnf, "--wsrep-recover",
                            "--log-error=" + out],
                           capture_output=True, text=True, timeout=120)
        try:
            with open(out, errors="replace") as f:
                text = f.read()
        except OSError:
            text = r.stderr
        pos = None
        for line in text.splitlines():
            if "WSREP: Recovered position:" in line:
                pos = line.split("Recovered position:", 1)[1].strip()
        return pos if pos and not pos.endswith(":-1") else None


class Cluster:
    """Three nodes, two envint instances (different node orders) and an
    nginx with one upstream over both, under one temp dir."""

    def __init__(self, builddir, srcdir=ROOT, directory=None, workers=3, db_timeout=3,
                 gcache="64M"):
        self.builddir = builddir
        self.srcdir = srcdir
        # not /tmp/envint-*: other runs on a shared machine clean that up
        self.dir = directory or tempfile.mkdtemp(prefix="cluster-envint-")
        self.gcache = gcache
        self.workers = workers
        self.db_timeout = db_timeout
        self.pids = set()        # every process this run started, for the teardown
        self.ids = run_as_mysql()
        if self.ids:
            # the nodes (as mysql) must reach their directories through it
            os.chmod(self.dir, 0o711)
        ports = free_ports(12)
        self.nodes = []
        for i in range(3):
            self.nodes.append(Node(self, i + 1, ports[4 * i:4 * i + 4]))
        self.apps = {}
        self.timings = {}
        self.nginx = None

    # ---- the database
    def bootstrap_datadir(self, load):
        """Initialises node1's datadir, bootstraps it alone, creates the
        envint database and user, calls load(node1) (schema and data), shuts
        it down cleanly and copies the datadir (grastate.dat included) to
        the other nodes."""
        n1 = self.nodes[0]
        t0 = time.monotonic()
        os.makedirs(n1.datadir)
        subprocess.run(Stack.install_db_command(n1.datadir), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        self.timings["install-db"] = time.monotonic() - t0
        for n in self.nodes:
            os.makedirs(n.dir, exist_ok=True)
            n.write_cnf()
        t1 = time.monotonic()
        n1.start(new_cluster=True, how="bootstrap")
        poll(lambda: n1.synced(1), 60, "node1 to bootstrap (see %s)" % n1.log)
        self.timings["bootstrap-start"] = time.monotonic() - t1
        n1.sql("CREATE DATABASE envint CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
               "CREATE USER 'envint'@'127.0.0.1' IDENTIFIED BY '%s';"
               "CREATE USER 'envint'@'::1' IDENTIFIED BY '%s';"
               "GRANT ALL ON envint.* TO 'envint'@'127.0.0.1';"
               "GRANT ALL ON envint.* TO 'envint'@'::1';" % (DB_PASSWORD, DB_PASSWORD))
        t2 = time.monotonic()
        load(n1)
        self.timings["load"] = time.monotonic() - t2
        t3 = time.monotonic()
        rc = n1.stop()
        if rc != 0 or n1.grastate().get("seqno", "").strip() in ("", "-1"):
            raise RuntimeError("node1 did not shut down cleanly (status %r, grastate %r)"
                               % (rc, n1.grastate()))
        for n in self.nodes[1:]:
            shutil.copytree(n1.datadir, n.datadir, symlinks=True)
        self.timings["shutdown-copy"] = time.monotonic() - t3

    def start_nodes(self, ceiling=90):
        """node1 with --wsrep-new-cluster, then the others joining; returns
        when all three are Synced in a cluster of 3."""
        t0 = time.monotonic()
        n1 = self.nodes[0]
        n1.start(new_cluster=True, how="bootstrap")
        poll(lambda: n1.synced(1), ceiling, "node1 to form the cluster (see %s)" % n1.log)
        # one at a time: two nodes joining together made gcomm reconnect
        # for ~5 s before it declared them stable
        for size, n in enumerate(self.nodes[1:], 2):
            n.start(how="join")
            poll(lambda: n.synced(size), ceiling, "%s to join (see %s)" % (n.name, n.log))
        for n in self.nodes:
            poll(lambda: n.synced(3), ceiling, "%s to be Synced in a cluster of 3 (see %s)"
                 % (n.name, n.log))
        self.timings["cluster-start"] = time.monotonic() - t0

    def start(self, clients, slots, conflict_slots=6, log=print):
        """The whole stack: datadir, data, three nodes, envint A over
        (node1, node2, node3) and B over (node3, node2, node1), nginx.
        `clients` environments of the team get `slots` integrations each
        to install and uninstall; see load()."""
        if os.getuid() == 0 and not os.stat("/").st_mode & 0o001:
            # the nodes run as mysql: under a root of mode 700 (fresh-run's
            # chroot) they cannot reach their datadirs, and bootstrap would
            # only time out
            raise RuntimeError("/ is mode %o: the nodes (user mysql) cannot reach anything;"
                               " a real root is 755" % (os.stat("/").st_mode & 0o777))
        n1, n2, n3 = self.nodes
        self.apps = {"A": App(self, "A", [n1, n2, n3]), "B": App(self, "B", [n3, n2, n1])}
        for app in self.apps.values():
            app.configure()
        self.bootstrap_datadir(lambda node: self.load(node, clients, slots, conflict_slots))
        log("cluster: datadir ready (install-db %.1f s, bootstrap %.1f s, schema and data "
            "%.1f s, shutdown and copy %.1f s)" % tuple(self.timings[k] for k in (
                "install-db", "bootstrap-start", "load", "shutdown-copy")))
        self.start_nodes()
        log("cluster: 3 nodes Synced in %.1f s (joins: %s)" % (
            self.timings["cluster-start"], ", ".join(
                "%s %s" % (n.name, n.transfers()) for n in self.nodes[1:])))
        t0 = time.monotonic()
        for app in self.apps.values():
            app.start()
        self.nginx = Nginx(self)
        self.nginx.start()
        self.timings["apps-nginx"] = time.monotonic() - t0

    def load(self, node, clients, slots, conflict_slots):
        """Schema (envintctl migrate through envint A's configuration),
        tests/bench/gen_dataset.py small (4 teams, 12 environments, 300
        integrations, ~3,000 installs), a team token for its team 0, and
        for that team one empty environment per client plus one where the
        conflicting installs go. Sets self.data."""
        app = self.apps["A"]
        app.stack.ctl("migrate", "--dir", os.path.join(self.srcdir, "db"))
        gen = subprocess.Popen([sys.executable, os.path.join(self.srcdir, "tests", "bench",
                                                             "gen_dataset.py"), "small"],
                               stdout=subprocess.PIPE)
        subprocess.run(["mariadb", "--no-defaults", "-S", node.sock, "-uroot", "envint"],
                       stdin=gen.stdout, check=True, timeout=300)
        if gen.wait() != 0:
            raise RuntimeError("tests/bench/gen_dataset.py failed")
        team = node.sql("SELECT LOWER(HEX(id)) FROM team WHERE name = 'Bench small team 0'",
                        "envint")[0][0]
        team_uuid = uuid_of(team)
        token = app.stack.ctl_out("token", "create", "--team", team_uuid)
        envs = [app.stack.ctl_out("environment", "create", "--team", team_uuid,
                                  "--name", "cluster-%d" % i) for i in range(clients)]
        conflict_env = app.stack.ctl_out("environment", "create", "--team", team_uuid,
                                         "--name", "cluster-conflict")
        integrations = [uuid_of(r[0]) for r in node.sql(
            "SELECT LOWER(HEX(id)) FROM integration WHERE team_id = UNHEX('%s')"
            " ORDER BY name" % team, "envint")]
        rows = [uuid_of(r[0]) for r in node.sql(
            "SELECT LOWER(HEX(id)) FROM environment_integration WHERE team_id = UNHEX('%s')"
            " ORDER BY created_at, id" % team, "envint")]
        team_envs = sorted({uuid_of(r[0]) for r in node.sql(
            "SELECT LOWER(HEX(environment_id)) FROM environment_integration"
            " WHERE team_id = UNHEX('%s')" % team, "envint")})
        versions = {uuid_of(r[0]): int(r[1]) for r in node.sql(
            "SELECT LOWER(HEX(id)), version FROM environment_integration"
            " WHERE team_id = UNHEX('%s')" % team, "envint")}
        if clients * slots + conflict_slots > len(integrations):
            raise RuntimeError("%d clients x %d slots and %d conflict slots need more than the "
                               "team's %d integrations" % (clients, slots, conflict_slots,
                                                           len(integrations)))
        self.data = dict(team=team, token=token, client_envs=envs, conflict_env=conflict_env,
                         integrations=integrations,
                         slots=slots, conflict_slots=conflict_slots,
                         rows=rows, team_envs=team_envs, versions=versions)

    def all_synced(self):
        return all(n.synced(3) for n in self.nodes)

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    # ---- teardown
    def prune(self):
        """Removes the nodes' datadirs (~140 MB each: InnoDB files, the
        gcache) from a stopped run kept for its logs."""
        for n in self.nodes:
            shutil.rmtree(n.datadir, ignore_errors=True)
            shutil.rmtree(os.path.join(n.dir, "tmp"), ignore_errors=True)

    def strays(self):
        """Live processes whose command line names this run's directory
        (unique to it) that were not recorded: an rsync daemon of a state
        transfer, say, orphaned by a kill -9 of its mariadbd; and envint
        workers of any master group of the run."""
        out = []
        me = os.getpid()
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == me:
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if self.dir + "/" in cmd and pid_alive(int(d)):
                out.append(int(d))
        for app in self.apps.values():
            out += app.leftovers()
        return sorted(set(out))

    def close(self, keep=False):
        """Stops everything by recorded pid (nginx, envint, nodes), then
        SIGKILLs any recorded process still alive (an envint worker orphaned
        by a master kill, say). Returns the pids that were still alive."""
        errors = []
        if self.nginx is not None:
            try:
                self.nginx.stop()
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        for app in self.apps.values():
            try:
                app.stop()
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        for n in self.nodes:
            try:
                n.stop()
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        left = sorted({p for p in self.pids if pid_alive(p)} | set(self.strays()))
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return left


def group_members(pgids, exe):
    """Live processes of the given process groups running `exe`: an
    envint master started a session of its own, and its workers stay in
    its group even once the master is gone."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) in pgids and fields[0] != "Z" and \
                    os.path.realpath("/proc/%s/exe" % d) == os.path.realpath(exe):
                out.append(int(d))
        except (OSError, ValueError):
            continue
    return sorted(out)


class App:
    """One envint instance (tests/integration/stack.py's Stack, in a
    directory of its own) over the cluster's nodes in `order`."""

    def __init__(self, cluster, name, order):
        self.cluster = cluster
        self.name = name
        self.order = order
        self.stack = Stack(cluster.builddir, cluster.srcdir,
                           directory=os.path.join(cluster.dir, "envint-" + name.lower()),
                           workers=cluster.workers, db_timeout=cluster.db_timeout)
        self.sock = self.stack.app_sock
        self.pgids = set()       # every master's group (its workers stay in it)

    def configure(self):
        # the two hosts use opposite node orders: causal reads (off by
        # default) keep a client's write visible through the other host
        self.stack.write_config(log_level="info", retry_after=1, grace_seconds=5,
                                db_causal_reads="yes", **db_host_of(self.order))

    def start(self):
        self.stack.start_app()
        self.note_pids()

    def note_pids(self):
        master = self.stack.master_pid()
        self.pgids.add(master)
        self.cluster.pids.add(master)
        self.cluster.pids.update(children(master))

    def master(self):
        return self.stack.master_pid()

    def workers(self):
        return children(self.stack.master_pid())

    def leftovers(self):
        return group_members(self.pgids, self.stack.binary("envint"))

    def stop(self):
        self.stack.stop_app(timeout=20)
        for p in self.leftovers():
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Nginx:
    """nginx with tests/cluster/nginx-cluster.conf.in inside the private
    wrapper of the tests (conf/nginx-private.conf.in)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.dir = os.path.join(cluster.dir, "nginx")
        self.port, self.port_a, self.port_b = free_ports(3)
        self.proc = None

    def start(self):
        c = self.cluster
        os.makedirs(os.path.join(self.dir, "nginx-tmp"), exist_ok=True)
        with open(os.path.join(HERE, "nginx-cluster.conf.in")) as f:
            site = f.read()
        subst = dict(LISTEN=self.port, LISTEN_A=self.port_a, LISTEN_B=self.port_b,
                     SOCK_A=c.apps["A"].sock, SOCK_B=c.apps["B"].sock, RETRY_AFTER=1)
        for k, v in subst.items():
            site = site.replace("@%s@" % k, str(v))
        left = re.search(r"@[A-Z_]+@", site)
        if left:
            raise RuntimeError("nginx-cluster.conf.in: placeholder %s not rendered" % left.group(0))
        with open(os.path.join(self.dir, "nginx-envint.conf"), "w") as f:
            f.write(site)
        open(os.path.join(self.dir, "nginx-extra.conf"), "w").close()
        with open(os.path.join(c.srcdir, "conf", "nginx-private.conf.in")) as f:
            wrapper = f.read().replace("@DIR@", self.dir)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(wrapper)
        log = open(os.path.join(self.dir, "nginx-stderr.log"), "ab")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir], stdout=log,
                                     stderr=log, start_new_session=True)
        log.close()
        c.pids.add(self.proc.pid)

        def up():
            for p in (self.port, self.port_a, self.port_b):
                socket.create_connection(("127.0.0.1", p), timeout=1).close()
            return True
        poll(up, 20, "nginx to listen (see %s)" % self.dir)
        c.pids.update(children(self.proc.pid))

    def stop(self):
        if self.proc is None:
            return
        kids = children(self.proc.pid)
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for p in kids:
            if pid_alive(p):
                os.kill(p, signal.SIGKILL)
        self.proc = None
