"""The cluster stack of tests/bench/run --cluster (issue 16 §4 and the
closing note): three Galera nodes on loopback from tests/cluster/cluster.py,
loaded with the bench's datasets, and two envint instances over them, each
with its own nginx rendered from the production site exactly as the
single-server stack's is (tests/integration/stack.py, Stack.start_nginx):

  "on"   db_causal_reads = yes: what "W1/W4 cluster" measure;
  "off"  db_causal_reads = no (the default): the other side of the causal-read cost.

Both take the nodes in the same order (node1, node2, node3; db_host_of), so
every request of either goes to node1 and the only difference between them
is wsrep_sync_wait. Python standard library only; everything is stopped by
recorded pid in close().
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
import cluster  # noqa: E402
from stack import children  # noqa: E402  (cluster.py put tests/integration on the path)

# the single-server stack's buffer pool (stack.py), instead of the cluster
# harness's 64M, so both sides hold the same data in memory
BUFFER_POOL = "256M"
CAUSAL = (("on", "yes"), ("off", "no"))


class ClusterBench:
    """Three nodes and the "on" and "off" envint instances, with `workers`
    workers each (the single-server stack's count), under one temp dir
    (cluster.Cluster's, /tmp/cluster-envint-*). `load(sock, size)` pours a
    gen_dataset.py size into the envint database behind a MariaDB socket;
    `sizes` are the sizes the single-server stack got. `status` turns the
    pool status page on as the runner's --status does."""

    def __init__(self, builddir, workers, load, sizes, status_path=""):
        self.cl = cluster.Cluster(builddir, ROOT, workers=workers)
        self.load, self.sizes, self.status_path = load, sizes, status_path
        self.token = self.team = None

    @property
    def dir(self):
        return self.cl.dir

    def stack(self, name):
        """The Stack (tests/integration/stack.py) of instance `name`, "on"
        or "off": its http_port, get(), worker_pids() serve the runner."""
        return self.cl.apps[name].stack

    def base(self, name):
        return "http://127.0.0.1:%d" % self.stack(name).http_port

    def start(self, log):
        """Datadir with schema and data (on node1 alone, then copied), the
        three nodes Synced, both envint instances and their nginx, and a
        token of small team 0 (self.token, self.team). Raises on any step
        that fails or times out; close() stops whatever had started."""
        cl = self.cl
        for name, causal in CAUSAL:
            app = cluster.App(cl, name, list(cl.nodes))
            app.stack.write_config(log_level="warn", status_path=self.status_path,
                                   db_causal_reads=causal, **cluster.db_host_of(cl.nodes))
            cl.apps[name] = app
        cl.bootstrap_datadir(self.fill)
        for n in cl.nodes:
            n.write_cnf(["innodb-buffer-pool-size=" + BUFFER_POOL])
        cl.start_nodes()
        for app in cl.apps.values():
            app.start()
            app.stack.start_nginx()
            ngx = app.stack.nginx_proc.pid
            cl.pids.update([ngx] + children(ngx))
        n1 = cl.nodes[0]
        self.team = n1.sql("SELECT HEX(id) FROM team WHERE name = 'Bench small team 0'",
                           "envint")[0][0]
        self.token = self.stack("on").ctl_out("token", "create", "--team",
                                              cluster.uuid_of(self.team))
        log("cluster: 3 Galera nodes Synced (datadir %.1f s, start %.1f s); envint causal "
            "reads on and off, %d workers each, db_host = %s" % (
                sum(cl.timings[k] for k in ("install-db", "bootstrap-start", "load",
                                            "shutdown-copy")),
                cl.timings["cluster-start"], cl.workers,
                cluster.db_host_of(cl.nodes)["db_host"]))

    def fill(self, node):
        """bootstrap_datadir's load step: schema by envintctl migrate, the
        datasets, fresh index statistics."""
        self.stack("on").ctl("migrate", "--dir", os.path.join(ROOT, "db"))
        for size in self.sizes:
            self.load(node.sock, size)
        node.sql("ANALYZE TABLE environment_integration, integration, team, environment",
                 "envint")

    def rows(self, n):
        """Ids (hex) of the first n rows of small team 0, in list order."""
        return [r[0] for r in self.cl.nodes[0].sql(
            "SELECT HEX(id) FROM environment_integration WHERE team_id = UNHEX('%s')"
            " ORDER BY created_at, id LIMIT %d" % (self.team, n), "envint")]

    def close(self, keep=False):
        """Stops both nginx, both envint, the nodes (cluster.Cluster.close:
        by recorded pid, then SIGKILL of anything of the run still alive)
        and removes the temp dir unless keep. Returns the pids that had to
        be SIGKILLed. Safe after a partial start."""
        for app in self.cl.apps.values():
            try:
                app.stack.stop_nginx()
            except Exception as e:  # noqa: BLE001  (the rest must still stop)
                print("cluster: stopping nginx: %s" % e, file=sys.stderr)
        return self.cl.close(keep=keep)
