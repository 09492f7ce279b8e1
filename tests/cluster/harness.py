"""Several hosts on one machine: web nodes and a worker in their own network namespaces, behind nginx.

    host (10.200.0.1, bridge ocopbr0)
      ├── nginx  127.0.0.1:<port> (TLS) → deploy/nginx/ocop-catalogue.conf, rendered
      ├── socat  10.200.0.1:5432 → PostgreSQL, 10.200.0.1:6379 → Redis (they listen on 127.0.0.1 only)
      ├── S3     10.200.0.1:<port> (moto's server), when the storage port is in use
      ├── ocop-a 10.200.0.2  gunicorn, as deploy/systemd/ocop-web.service starts it, and the live streams'
      │                      gunicorn (gthread) as deploy/systemd/ocop-live.service starts it
      ├── ocop-b 10.200.0.3  the same two
      └── ocop-w 10.200.0.4  celery worker, as deploy/systemd/ocop-worker.service starts it

Each node is a separate set of processes with its own network stack; what they share is what a real
deployment shares: PostgreSQL, Redis and object storage. Needs root (ip netns), nginx and socat.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = "ocopbr0"
HOST_IP = "10.200.0.1"
NODES = {"a": "10.200.0.2", "b": "10.200.0.3", "w": "10.200.0.4"}
DATABASE = "ocop_cluster"
SECRET = "cluster-test-secret-key-not-for-production"


def sh(command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, shell=True, check=check, capture_output=True, text=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unit_exec_start(unit: str) -> list[str]:
    """The ExecStart of one of deploy/systemd's units, with its paths pointed at this checkout."""
    for line in (ROOT / "deploy" / "systemd" / unit).read_text().splitlines():
        if line.startswith("ExecStart="):
            command = line.removeprefix("ExecStart=")
            command = command.replace("/srv/ocop/.venv/bin/", f"{Path(sys.executable).parent}/")
            return shlex.split(command)
    raise ValueError(f"{unit} has no ExecStart")


def unit_environment(unit: str, *names: str) -> dict[str, str]:
    """The unit's `Environment=` settings of these names, with its paths pointed at this checkout."""
    found = {}
    for line in (ROOT / "deploy" / "systemd" / unit).read_text().splitlines():
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            if name in names:
                found[name] = value.replace("/srv/ocop", str(ROOT))
    return found


def network_up() -> None:
    network_down()
    sh(f"ip link add {BRIDGE} type bridge && ip addr add {HOST_IP}/24 dev {BRIDGE} && ip link set {BRIDGE} up")
    for name, address in NODES.items():
        ns = f"ocop-{name}"
        sh(f"ip netns add {ns}")
        sh(f"ip link add veth-{name} type veth peer name eth0 netns {ns}")
        sh(f"ip link set veth-{name} master {BRIDGE} up")
        sh(f"ip netns exec {ns} ip addr add {address}/24 dev eth0")
        sh(f"ip netns exec {ns} ip link set eth0 up && ip netns exec {ns} ip link set lo up")
        sh(f"ip netns exec {ns} ip route add default via {HOST_IP}")


def network_down() -> None:
    for name in NODES:
        sh(f"ip netns del ocop-{name}", check=False)
        sh(f"ip link del veth-{name}", check=False)
    sh(f"ip link del {BRIDGE}", check=False)


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.cluster.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert, private = folder / "tls.crt", folder / "tls.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip
    return cert, private


@dataclass
class Cluster:
    folder: Path
    postgres_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    redis_db: int = 7
    port: int = field(default_factory=free_port)
    # The same site once more per node, so a test can pick the node a browser-like client talks to.
    node_ports: dict[str, int] = field(default_factory=lambda: {"a": free_port(), "b": free_port()})
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    s3_port: int = field(default_factory=free_port)
    s3_server: object = None

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def node_url(self, name: str) -> str:
        """The node itself, plain HTTP (what nginx and probes talk to)."""
        return f"http://{NODES[name]}:8000"

    def via_nginx(self, name: str) -> str:
        """HTTPS through nginx to that node only: secure cookies and CSRF's referrer check as in a browser."""
        return f"https://127.0.0.1:{self.node_ports[name]}"

    def environment(self, via_host: bool = False) -> dict[str, str]:
        """The settings every node gets (as /etc/ocop/catalogue.env holds them); `via_host`: for host commands."""
        services = "127.0.0.1" if via_host else HOST_IP
        env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH")},
            "CATALOGUE_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": f"postgresql+psycopg://postgres@{services}:5432/{DATABASE}",
            "RATELIMIT_STORAGE_URI": f"redis://{services}:6379/{self.redis_db}",
            "CELERY_BROKER_URL": f"redis://{services}:6379/{self.redis_db + 1}",
            "CELERY_VISIBILITY_TIMEOUT": "8",
            "PUBLIC_BASE_URL": self.base,
            "PROXY_COUNT": "1",
            "LOG_FORMAT": "json",
            # Object storage: moto's S3 server on the host, reached by every node over the bridge.
            "STORAGE_URL": "s3://ocop-cluster/media",
            "AWS_ENDPOINT_URL": f"http://{HOST_IP}:{self.s3_port}",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "STORAGE_ENCRYPTION_KEY": "Y2x1c3Rlci10ZXN0LWtleS0zMi1ieXRlcy1sb25nLTE=",
            "VIETQR_BANK_BIN": "970436",
            "VIETQR_ACCOUNT_NO": "0011001234567",
            "VIETQR_ACCOUNT_NAME": "CONG TY OCOP QUANG NINH",
            "BANK_WEBHOOK_API_KEY": "cluster-sepay-key",
            "ORDER_LIMIT_PER_CONTACT": "3 per hour",
            "ORDER_LIMIT_PER_CLIENT": "1000 per hour",
        }
        from catalogue.config import OPERATOR_SAMPLE

        env.update({key: value.replace(" (dữ liệu mẫu)", "").replace(" (mẫu)", "").replace("mẫu", "Hạ Long")
                    for key, value in OPERATOR_SAMPLE.items()})  # fmt: skip
        env.update(self.extra_env)
        return env

    def flask(self, *args: str) -> str:
        command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
        done = subprocess.run(command, cwd=ROOT, env=self.environment(via_host=True), capture_output=True, text=True,
                              timeout=600)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def sql(self, statement: str, **params) -> list[tuple]:
        """Read the cluster's database from the host (the test's own view, not a node's)."""
        import psycopg

        url = self.postgres_admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def database_up(self) -> None:
        import psycopg

        with psycopg.connect(self.postgres_admin_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {DATABASE}")
        import redis

        for db in (self.redis_db, self.redis_db + 1):
            redis.Redis(db=db).flushdb()
        self.flask("db", "upgrade")
        self.flask("seed")

    def forwarders_up(self) -> None:
        for port in (5432, 6379):
            self.processes[f"socat-{port}"] = subprocess.Popen(
                ["socat", f"TCP-LISTEN:{port},bind={HOST_IP},fork,reuseaddr", f"TCP:127.0.0.1:{port}"],
                start_new_session=True,
            )

    def start_node(self, name: str) -> None:
        ns = f"ocop-{name}"
        metrics = self.folder / f"prometheus-{name}"
        subprocess.run(["rm", "-rf", str(metrics)], check=True)
        metrics.mkdir(parents=True)
        env = {**self.environment(), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        if name == "w":
            command = unit_exec_start("ocop-worker.service")
            env.update(unit_environment("ocop-worker.service", "PYTHONPATH"))
            env["CELERY_METRICS_PORT"], env["CELERY_METRICS_ADDR"] = "9101", NODES["w"]
        else:
            command = [
                part.replace("0.0.0.0:8000", f"{NODES[name]}:8000") for part in unit_exec_start("ocop-web.service")
            ]
            command[command.index("--workers") + 1] = "2"
        log = open(self.folder / f"node-{name}.log", "ab")  # noqa: SIM115 — the process keeps it
        self.processes[name] = subprocess.Popen(
            ["ip", "netns", "exec", ns, *command], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        if name != "w":
            self.wait_for(f"{self.node_url(name)}/readyz", name)
            if f"{name}-live" not in self.processes:  # a web process restarted: its live process kept running
                self.start_live(name)

    def start_live(self, name: str) -> None:
        """The node's live streams process, beside its web process, as deploy/systemd/ocop-live.service runs it."""
        metrics = self.folder / f"prometheus-{name}-live"
        subprocess.run(["rm", "-rf", str(metrics)], check=True)
        metrics.mkdir(parents=True)
        env = {**self.environment(), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        command = [part.replace("0.0.0.0:8001", f"{NODES[name]}:8001") for part in unit_exec_start("ocop-live.service")]
        log = open(self.folder / f"node-{name}-live.log", "ab")  # noqa: SIM115 — the process keeps it
        self.processes[f"{name}-live"] = subprocess.Popen(
            ["ip", "netns", "exec", f"ocop-{name}", *command], cwd=ROOT, env=env, stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
        self.wait_for(f"http://{NODES[name]}:8001/readyz", f"{name}-live")

    def stop_node(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def wait_for(self, url: str, name: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{name} exited: {(self.folder / f'node-{name}.log').read_text()[-3000:]}")
            try:
                if requests.get(url, timeout=2, verify=False).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer: {(self.folder / f'node-{name}.log').read_text()[-3000:]}")
            time.sleep(0.3)

    def nginx_up(self) -> None:
        cert, key = self_signed(self.folder)
        template = (ROOT / "deploy" / "nginx" / "ocop-catalogue.conf").read_text()
        sites = []
        for nodes, port in (("ab", self.port), ("a", self.node_ports["a"]), ("b", self.node_ports["b"])):
            site = template.replace("ocop_web", f"ocop_web_{nodes}").replace("ocop_live", f"ocop_live_{nodes}")
            servers = "\n    ".join(f"server {NODES[n]}:8000 max_fails=1 fail_timeout=5s;" for n in nodes)
            live = "\n    ".join(f"server {NODES[n]}:8001 max_fails=1 fail_timeout=5s;" for n in nodes)
            for placeholder, value in {"UPSTREAM_SERVERS": servers, "LIVE_SERVERS": live, "LISTEN": f"127.0.0.1:{port}",
                                       "SERVER_NAME": "shop.cluster.test", "TLS_CERT": str(cert),
                                       "TLS_KEY": str(key)}.items():  # fmt: skip
                site = site.replace(f"@@{placeholder}@@", value)
            sites.append(site)
        (self.folder / "site.conf").write_text("\n".join(sites))
        prefix = self.folder / "nginx"
        prefix.mkdir(exist_ok=True)
        (prefix / "logs").mkdir(exist_ok=True)
        (self.folder / "nginx.conf").write_text(
            f"user root; worker_processes 2; pid {prefix}/nginx.pid; error_log {prefix}/logs/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log {prefix}/logs/access.log; client_body_temp_path {prefix}/body; "
            f"proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; "
            f"scgi_temp_path {prefix}/scgi; include {self.folder / 'site.conf'}; }}\n"
        )
        log = open(self.folder / "node-nginx.log", "ab")  # noqa: SIM115 — the process keeps it
        self.processes["nginx"] = subprocess.Popen(
            ["nginx", "-p", str(prefix), "-c", str(self.folder / "nginx.conf"), "-g", "daemon off;"],
            start_new_session=True,
            stdout=log,
            stderr=log,
        )
        self.wait_for(f"{self.base}/readyz", "nginx")

    def s3_up(self) -> None:
        import boto3
        from moto.server import ThreadedMotoServer

        self.s3_server = ThreadedMotoServer(ip_address=HOST_IP, port=self.s3_port, verbose=False)
        self.s3_server.start()
        client = boto3.client("s3", endpoint_url=f"http://{HOST_IP}:{self.s3_port}", aws_access_key_id="cluster",
                              aws_secret_access_key="cluster-secret", region_name="us-east-1")  # fmt: skip
        client.create_bucket(Bucket="ocop-cluster")

    def up(self) -> Cluster:
        network_up()
        self.s3_up()
        self.forwarders_up()
        self.database_up()
        for name in ("a", "b", "w"):
            self.start_node(name)
        self.nginx_up()
        return self

    def down(self) -> None:
        for name in list(self.processes):
            self.stop_node(name, signal.SIGKILL if name.startswith("socat") else signal.SIGTERM)
        if self.s3_server is not None:
            self.s3_server.stop()
        network_down()
