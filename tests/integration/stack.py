"""Real processes on loopback for the integration tests: a private MariaDB,
envint, nginx and (for test_apache.py) Apache, all under one mktemp -d
directory, stopped by recorded pid.

Used by tests/integration/run (the TAP runner), dev.sh (up/down) and the
benchmarks. Python standard library only.
"""
import http.client
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import openapi_check


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); look at its state
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid):
    """Pids whose parent is pid (the workers of an envint master)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return sorted(out)


class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Stack:
    DB_PASSWORD = "envint-test-password"
    STATUS_PATH = "/envint-status"

    def __init__(self, builddir, srcdir, directory=None, workers=2, db_timeout=3):
        self.builddir = builddir
        self.srcdir = srcdir
        self.dir = directory or tempfile.mkdtemp(prefix="envint-")
        os.makedirs(self.dir, exist_ok=True)
        self.workers = workers
        self.db_timeout = db_timeout
        self.db_sock = os.path.join(self.dir, "mysqld.sock")
        self.app_sock = os.path.join(self.dir, "envint.sock")
        self.http_port = None
        self.db_proc = self.app_proc = self.nginx_proc = None
        self.tokens = {}

    # ---- MariaDB ----
    def db_datadir(self):
        return os.path.join(self.dir, "mysql")

    def db_tmpdir(self):
        """Private: at start-up mariadbd deletes every #sql* file in its
        tmpdir, which in a shared /tmp are other servers' live temporary
        tables."""
        d = os.path.join(self.dir, "mysql-tmp")
        os.makedirs(d, exist_ok=True)
        return d

    @staticmethod
    def install_db_command(datadir):
        """mariadb-install-db for a private datadir. --force skips its
        look-up of this machine's host name, which fails the install where
        neither the host name nor localhost resolves (a minimal root without
        /etc/hosts); grants then use IP addresses, and ours use none."""
        return ["mariadb-install-db", "--no-defaults", "--datadir=" + datadir,
                "--user=root", "--auth-root-authentication-method=normal",
                "--skip-test-db", "--force"]

    def start_db(self):
        datadir = self.db_datadir()
        fresh = not os.path.isdir(os.path.join(datadir, "mysql"))
        if fresh:
            os.makedirs(datadir, exist_ok=True)
            subprocess.run(self.install_db_command(datadir),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = open(os.path.join(self.dir, "mysqld.log"), "ab")
        self.db_proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--datadir=" + datadir,
             "--socket=" + self.db_sock, "--skip-networking", "--user=root",
             "--pid-file=" + os.path.join(self.dir, "mysqld.pid"),
             "--tmpdir=" + self.db_tmpdir(),
             "--innodb-buffer-pool-size=256M", "--skip-log-bin",
             "--max-connections=200", "--character-set-server=utf8mb4",
             "--collation-server=utf8mb4_bin",
             # as the README recommends for production: a few threads run
             # the many short statements of a fixed set of connections
             # (tests/bench/run: W1 +13%, W2 +10%, p99 halved)
             "--thread-handling=pool-of-threads",
             # also as the README recommends: a 100-row page (about 400 KB)
             # leaves the server in 7 writes instead of 26, each of which
             # woke the worker (tests/bench/run: W2 +15-20%)
             "--net-buffer-length=64K"] +
            # extra flags, last wins: e.g. to compare
            # --thread-handling=one-thread-per-connection in the benchmarks
            os.environ.get("ENVINT_MARIADB_ARGS", "").split(),
            stdout=log, stderr=log, start_new_session=True)
        wait_for(lambda: self.sql_root("SELECT 1", check=False).returncode == 0,
                 60, "mariadbd to accept connections")
        if fresh:
            self.sql_root(
                "CREATE DATABASE envint CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
                "CREATE USER 'envint'@'localhost' IDENTIFIED BY '%s';"
                "GRANT ALL ON envint.* TO 'envint'@'localhost';" % self.DB_PASSWORD)

    def stop_db(self, sig=signal.SIGTERM):
        if self.db_proc is None:
            return
        self.db_proc.send_signal(sig)
        try:
            self.db_proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.db_proc.kill()
            self.db_proc.wait()
        self.db_proc = None

    def sql_root(self, query, check=True, database=""):
        args = ["mariadb", "--no-defaults", "-S", self.db_sock, "-uroot",
                "--batch", "--skip-column-names"]
        # a long script goes through stdin (one argument may not pass 128 KiB)
        big = len(query) > 65536
        if not big:
            args += ["-e", query]
        if database:
            args.append(database)
        r = subprocess.run(args, capture_output=True, text=True, timeout=60,
                           input=query if big else None)
        if check and r.returncode != 0:
            raise RuntimeError("sql failed: %s: %s" % (query[:2000], r.stderr))
        return r

    def sql(self, query):
        """Rows of a query on the envint database, as lists of strings."""
        out = self.sql_root(query, database="envint").stdout
        return [line.split("\t") for line in out.splitlines()]

    # ---- envint ----
    def binary(self, name):
        return os.path.join(self.builddir, name)

    def config_path(self):
        return os.path.join(self.dir, "envint.conf")

    def openapi_file(self):
        """conf/openapi.json of the source tree (GET /openapi.json)."""
        return os.path.join(self.srcdir, "conf", "openapi.json")

    def write_config(self, **extra):
        conf = {
            "listen": "unix:" + self.app_sock,
            "listen_mode": "0666",
            "workers": str(self.workers),
            "pidfile": os.path.join(self.dir, "envint.pid"),
            "db_socket": self.db_sock,
            "db_user": "envint",
            "db_password": self.DB_PASSWORD,
            "db_name": "envint",
            "db_timeout": str(self.db_timeout),
            "grace_seconds": "10",
            "log_level": "info",
            # the pool status page, on in every test stack (the benchmarks
            # turn it off unless asked: tests/bench/run --status)
            "status_path": self.STATUS_PATH,
            # the source tree's document, not the installed copy
            "openapi_file": self.openapi_file(),
        }
        conf.update({k: str(v) for k, v in extra.items()})
        with open(self.config_path(), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))

    def ctl(self, *args, check=True):
        """envintctl with the stack's config; leading --key value pairs in
        args are global flags (e.g. "--db-name", "x", "migrate")."""
        r = subprocess.run([self.binary("envintctl"), "--config", self.config_path()]
                           + list(args), capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("envintctl %s failed: %s" % (" ".join(args), r.stderr))
        return r

    def ctl_out(self, *args):
        """What a successful envintctl command printed (an id, a token),
        stripped."""
        return self.ctl(*args).stdout.strip()

    def migrate_and_demo(self):
        self.ctl("migrate", "--dir", os.path.join(self.srcdir, "db"))
        out = self.ctl("demo", "--dir", os.path.join(self.srcdir, "db", "demo")).stdout
        for line in out.splitlines():
            label, token = line.split()
            self.tokens[label] = token

    def start_app(self, *extra_args):
        if not os.path.exists(self.config_path()):
            self.write_config()
        log = open(os.path.join(self.dir, "envint.log"), "ab")
        self.app_proc = subprocess.Popen(
            [self.binary("envint"), "--config", self.config_path()] + list(extra_args),
            stdout=log, stderr=log, start_new_session=True)
        wait_for(lambda: os.path.exists(self.app_sock) and
                 len(children(self.app_proc.pid)) >= self.workers,
                 20, "envint to listen")

    def stop_app(self, timeout=30):
        if self.app_proc is None:
            return None
        if self.app_proc.poll() is None:
            self.app_proc.send_signal(signal.SIGTERM)
        try:
            rc = self.app_proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.app_proc.pid, signal.SIGKILL)
            rc = self.app_proc.wait()
        self.app_proc = None
        return rc

    def master_pid(self):
        return self.app_proc.pid

    def worker_pids(self):
        return children(self.app_proc.pid)

    def app_log(self):
        with open(os.path.join(self.dir, "envint.log"), errors="replace") as f:
            return f.read()

    # ---- nginx ----
    def render(self, template, out, **subst):
        """The private wrapper (conf/nginx-private.conf.in): @DIR@ only."""
        with open(os.path.join(self.srcdir, "conf", template)) as f:
            text = f.read()
        for k, v in subst.items():
            text = text.replace("@%s@" % k, v)
        with open(out, "w") as f:
            f.write(text)

    def render_site(self, out, http_listen, upstreams=()):
        """conf/nginx-envint.conf.in as users render it: by envint
        --render-site from this stack's envint.conf (upstream from listen,
        or one --upstream per host of a pool; Retry-After from retry_after,
        the Allow map from the route table), so the tested site is exactly
        the installed one."""
        pool = [arg for u in upstreams for arg in ("--upstream", u)]
        r = subprocess.run([self.binary("envint"), "--config", self.config_path(),
                            "--render-site",
                            os.path.join(self.srcdir, "conf", "nginx-envint.conf.in"),
                            "--http-listen", http_listen] + pool,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("envint --render-site failed: " + r.stderr.strip())
        with open(out, "w") as f:
            f.write(r.stdout)

    def start_nginx(self, port=None, upstreams=()):
        self.http_port = port or free_port()
        os.makedirs(os.path.join(self.dir, "nginx-tmp"), exist_ok=True)
        if not os.path.exists(self.config_path()):
            self.write_config()
        self.render_site(os.path.join(self.dir, "nginx-envint.conf"),
                         "127.0.0.1:%d" % self.http_port, upstreams)
        conf = os.path.join(self.dir, "nginx.conf")
        extra = os.path.join(self.dir, "nginx-extra.conf")
        if not os.path.exists(extra):
            open(extra, "w").close()
        self.render("nginx-private.conf.in", conf, DIR=self.dir)
        log = open(os.path.join(self.dir, "nginx-stderr.log"), "ab")
        self.nginx_proc = subprocess.Popen(
            ["nginx", "-c", conf, "-p", self.dir], stdout=log, stderr=log,
            start_new_session=True)

        def up():
            with socket.create_connection(("127.0.0.1", self.http_port), timeout=1):
                return True
        wait_for(up, 20, "nginx to listen")

    def stop_nginx(self):
        if self.nginx_proc is None:
            return
        self.nginx_proc.send_signal(signal.SIGQUIT)
        try:
            self.nginx_proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.nginx_proc.kill()
            self.nginx_proc.wait()
        self.nginx_proc = None

    # ---- Apache ----
    APACHE_MODULES = {
        "proxy": ["proxy", "proxy_fcgi"],
        "fcgid": ["fcgid"],
    }
    APACHE_TEMPLATES = {"proxy": "apache-envint.conf.in", "fcgid": "apache-fcgid.conf.in"}

    @staticmethod
    def apache_user():
        """(user, group) that Apache's children, and so mod_fcgid's envint,
        run as. Apache refuses to run its children as root (and cannot
        switch users unless started as root). As root (CI, ./dev.sh test)
        they run as Debian's Apache user, www-data, as in production; as
        anyone else, as that user, since Apache then keeps its own."""
        if os.getuid() != 0:
            return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        try:
            pwd.getpwnam("www-data")
            return "www-data", "www-data"
        except KeyError:
            return "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name

    def start_apache(self, mode, name=None, extra="", envint_conf=None, port=None,
                     site_edit=None):
        """A private Apache 2.4 (conf/apache-private.conf.in) around the real
        site of `mode`: "proxy" (conf/apache-envint.conf.in, mod_proxy_fcgi in
        front of this stack's envint) or "fcgid" (conf/apache-fcgid.conf.in,
        mod_fcgid starting envint itself). `extra` goes into its
        apache-extra.conf at server level; envint_conf is a dict of
        envint.conf keys over the stack's (for the copy mod_fcgid's envint
        reads); site_edit, a function of the rendered site's text, injects a
        fault into it. Returns an ApacheInstance; stop it with stop_apache.

        Permissions, as root: the children run as apache_user(), which must
        reach what they touch through the mktemp -d directory (mode 0700,
        root's): the stack directory becomes 0711 (enter, not list), so
        they can connect to MariaDB's socket (mariadbd makes it 0777) and
        envint's (listen_mode 0666). Everything Apache's children or
        mod_fcgid's envint read is copied into the instance's directory
        (0755): the envint program, the templates and error pages (the
        source tree may sit where they cannot go), and envint's
        configuration (0644). What they write (envint's log_file, sanitizer
        reports) goes to out/, which they own. Apache's own logs and
        run directory are opened by the root parent."""
        if os.getuid() == 0 and not os.stat("/").st_mode & 0o001:
            # a bare chroot made with mktemp -d: children that are not root
            # cannot even load a library (they abort in pthread_exit)
            raise RuntimeError("/ is mode %o: Apache's children (%s) cannot reach anything;"
                               " a real root is 755" % (os.stat("/").st_mode & 0o777,
                                                        self.apache_user()[0]))
        inst = ApacheInstance(self, mode, name or "apache-" + mode, port or free_port())
        inst.start(extra, envint_conf or {}, site_edit)
        return inst

    def stop_apache(self, inst):
        if inst is not None:
            inst.stop()

    # ---- whole stack ----
    def start(self):
        self.start_db()
        self.write_config()
        self.migrate_and_demo()
        self.start_app()
        self.start_nginx()

    def close(self, keep=False):
        self.stop_nginx()
        self.stop_app()
        self.stop_db()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- HTTP ----
    def request(self, method, path, token=None, body=None, headers=None, timeout=30):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        t0 = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            resp = Response(r.status, r.getheaders(), data, time.monotonic() - t0)
            # against conf/openapi.json, when tests/integration/run enabled it
            openapi_check.observe(method, path, resp)
            return resp
        finally:
            conn.close()

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)


class ApacheInstance:
    """One private Apache under stack.dir/NAME; see Stack.start_apache."""

    def __init__(self, stack, mode, name, port):
        self.stack = stack
        self.mode = mode
        self.dir = os.path.join(stack.dir, name)
        self.http_port = port
        self.proc = None
        self.out = os.path.join(self.dir, "out")
        self.envint_conf = os.path.join(self.dir, "envint.conf")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def prepare(self, extra, envint_conf, site_edit):
        st = self.stack
        user, group = st.apache_user()
        share = self.path("share")
        os.makedirs(share, exist_ok=True)
        os.makedirs(self.path("apache-run"), exist_ok=True)
        os.makedirs(self.out, exist_ok=True)
        if os.getuid() == 0:
            os.chmod(st.dir, 0o711)
            shutil.chown(self.out, user, group)
        for d in (self.dir, share):
            os.chmod(d, 0o755)
        conf_src = os.path.join(st.srcdir, "conf")
        for t in Stack.APACHE_TEMPLATES.values():
            shutil.copy(os.path.join(conf_src, t), share)
        shutil.copy(st.openapi_file(), share)
        shutil.rmtree(os.path.join(share, "apache-errors"), ignore_errors=True)
        shutil.copytree(os.path.join(conf_src, "apache-errors"), os.path.join(share, "apache-errors"))
        binary = self.path("envint")
        shutil.copy(st.binary("envint"), binary)
        # envint's configuration as the site is rendered from it and, under
        # mod_fcgid, as every envint it starts reads it
        conf = {
            "listen": "unix:" + st.app_sock, "listen_mode": "0666", "workers": "0",
            "db_socket": st.db_sock, "db_user": "envint", "db_password": st.DB_PASSWORD,
            "db_name": "envint", "db_timeout": str(st.db_timeout), "grace_seconds": "10",
            "log_level": "info", "log_file": os.path.join(self.out, "envint.log"),
            "status_path": st.STATUS_PATH, "openapi_file": os.path.join(share, "openapi.json"),
        }
        conf.update({k: str(v) for k, v in envint_conf.items()})
        with open(self.envint_conf, "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        os.chmod(self.envint_conf, 0o644)
        r = subprocess.run([binary, "--config", self.envint_conf, "--render-site",
                            os.path.join(share, Stack.APACHE_TEMPLATES[self.mode]),
                            "--http-listen", "127.0.0.1:%d" % self.http_port],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("envint --render-site failed: " + r.stderr.strip())
        with open(self.path("apache-site.conf"), "w") as f:
            f.write(site_edit(r.stdout) if site_edit else r.stdout)
        modules = "\n".join("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so" % (m, m)
                            for m in Stack.APACHE_MODULES[self.mode])
        if self.mode == "fcgid":
            # mod_fcgid's own files, and the environment of the envint it
            # starts (it passes none of Apache's): sanitizer reports go to
            # out/, which test_apache.py checks
            san = os.path.join(self.out, "sanitizer")
            modules += ("\nFcgidIPCDir \"%s\"\nFcgidProcessTableFile \"%s\"\n"
                        "FcgidInitialEnv ASAN_OPTIONS \"log_path=%s:detect_leaks=1\"\n"
                        "FcgidInitialEnv UBSAN_OPTIONS \"log_path=%s:print_stacktrace=1\"\n"
                        % (self.path("fcgid-ipc"), self.path("fcgid-shm"), san, san))
        with open(self.path("apache-extra.conf"), "w") as f:
            f.write("# test_apache.py\n%s\n" % extra)
        with open(os.path.join(st.srcdir, "conf", "apache-private.conf.in")) as f:
            text = f.read()
        for k, v in (("DIR", self.dir), ("PORT", str(self.http_port)), ("USER", user),
                     ("GROUP", group), ("MODULES", modules)):
            text = text.replace("@%s@" % k, v)
        with open(self.path("apache.conf"), "w") as f:
            f.write(text)

    def start(self, extra, envint_conf, site_edit=None):
        self.prepare(extra, envint_conf, site_edit)
        log = open(self.path("apache-stderr.log"), "ab")
        self.proc = subprocess.Popen(
            ["apache2", "-f", self.path("apache.conf"), "-DFOREGROUND"],
            stdout=log, stderr=log, start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("apache2 exited: see " + self.path("apache-error.log"))
            with socket.create_connection(("127.0.0.1", self.http_port), timeout=1):
                return True
        wait_for(up, 20, "apache to listen")

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def error_log(self):
        with open(self.path("apache-error.log"), errors="replace") as f:
            return f.read()

    def envint_log(self):
        try:
            with open(os.path.join(self.out, "envint.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def request(self, method, path, **kw):
        return Stack.request(self, method, path, **kw)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)
