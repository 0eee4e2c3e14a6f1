"""The production stack for tests, built with scripts/production.sh: a test CA and a certificate
for approval.test, nginx terminating TLS on a high port, N backend workers (each with its own data
folder, as on separate hosts, sharing PostgreSQL, Redis and the database file store), and Chromium
resolving approval.test to 127.0.0.1 and trusting the CA through an NSS database (no certificate
error, so WebAuthn works as on a real site).

Settings: TEST_PROD_HTTPS_PORT (8443), TEST_PROD_WORKER_PORT (3131; worker N on +N-1),
TEST_PROD_PROXY_PORT (3136, 3137: TCP proxies in front of PostgreSQL and Redis for fault tests),
TEST_PROD_DB_URL (a PostgreSQL database this test owns: its schema is dropped),
TEST_REDIS_URL (a Redis database this test owns: it is emptied)."""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
HOST = "approval.test"
HTTPS_PORT = int(os.environ.get("TEST_PROD_HTTPS_PORT", "8443"))
WORKER_PORT = int(os.environ.get("TEST_PROD_WORKER_PORT", "3131"))
PROXY_PORT = int(os.environ.get("TEST_PROD_PROXY_PORT", "3136"))
ORIGIN = f"https://{HOST}:{HTTPS_PORT}"
DB_URL = os.environ.get("TEST_PROD_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/prod_browser_test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


# --- TLS: a test CA, a certificate for approval.test, Chromium's NSS database trusting the CA ----

def make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server chain, server key) as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "独立审批系统 测试 CA (tests only)")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_file, chain, key_file = folder / "ca.pem", folder / "fullchain.pem", folder / "privkey.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    chain.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_file.chmod(0o600)
    return ca_file, chain, key_file


def nss_home(folder: Path, ca_file: Path) -> Path:
    """A HOME whose ~/.pki/nssdb trusts the CA for TLS servers (Chromium's store on Linux)."""
    db = folder / ".pki" / "nssdb"
    db.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "independent-approval-test-ca", "-t", "C,,",
                    "-i", str(ca_file)], check=True, capture_output=True)
    return folder


# --- TCP proxies (fault tests cut PostgreSQL or Redis off here, never the shared servers) -------

class TcpProxy:
    """A byte pipe 127.0.0.1:port → target in a process of its own (tests/tcp_proxy.py). stop()
    kills it: every connection drops and none is accepted, as when the server restarts; start()
    serves again."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.port, self.target = port, target
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.tcp_proxy", str(self.port), self.target[0],
                                      str(self.target[1])], cwd=ROOT)
        deadline = time.time() + 20
        while _port_free(self.port):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"proxy on {self.port} did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


# --- the stack ---------------------------------------------------------------------------------

def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _health(port: int) -> int | None:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@dataclass
class Stack:
    folder: Path
    workers: int = 2
    proxies: bool = False
    procs: dict[int, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None
    db_proxy: TcpProxy | None = None
    redis_proxy: TcpProxy | None = None

    # paths
    @property
    def web_root(self) -> Path:
        return self.folder / "www"

    def data_dir(self, n: int) -> Path:
        return self.folder / f"host{n}"

    def log(self, n: int) -> Path:
        return self.folder / f"worker{n}.log"

    def port(self, n: int) -> int:
        return WORKER_PORT + n - 1

    @property
    def db_url(self) -> str:
        return _through(DB_URL, PROXY_PORT) if self.proxies else DB_URL

    @property
    def redis_url(self) -> str:
        return _through(REDIS_URL, PROXY_PORT + 1) if self.proxies else REDIS_URL

    def env(self, n: int = 1, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "REFLEX_", "TEST_DB_URL"))}
        env.update({
            "APP_ENV_FILE": "/nonexistent", "APP_ORIGIN": ORIGIN, "REFLEX_DB_URL": self.db_url,
            "REFLEX_REDIS_URL": self.redis_url, "APP_FILE_STORE": "database", "APP_DATA_DIR": str(self.data_dir(n)),
            "APP_WORKERS": str(self.workers), "APP_WORKER_PORT": str(WORKER_PORT), "APP_WEB_ROOT": str(self.web_root),
            "APP_HTTPS_LISTEN": f"127.0.0.1:{HTTPS_PORT}", "APP_HTTP_LISTEN": "off",
            "APP_TLS_CERT": str(self.folder / "tls" / "fullchain.pem"),
            "APP_TLS_KEY": str(self.folder / "tls" / "privkey.pem"), "APP_LOG_LEVEL": "warning",
        })
        env.update(extra)
        return env

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=self.env(), capture_output=True,
                             text=True)
        if out.returncode != 0:
            raise RuntimeError(f"app.cli {' '.join(args)}: {out.stdout}{out.stderr}")
        return out.stdout.strip()

    def script(self, *args: str) -> str:
        out = subprocess.run(["bash", str(ROOT / "scripts" / "production.sh"), *args], cwd=ROOT, env=self.env(),
                             capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            raise RuntimeError(f"production.sh {' '.join(args)}:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
        return out.stdout

    # set-up
    def prepare(self) -> None:
        for port in [HTTPS_PORT] + [self.port(n) for n in range(1, self.workers + 1)] + \
                ([PROXY_PORT, PROXY_PORT + 1] if self.proxies else []):
            if not _port_free(port):
                raise RuntimeError(f"port {port} is busy")
        (self.folder / "tls").mkdir(parents=True)
        self.ca_file, _, _ = make_tls(self.folder / "tls")
        self.home = nss_home(self.folder / "browser-home", self.ca_file)
        self._reset_database()
        self._reset_redis()
        if self.proxies:
            self.db_proxy = TcpProxy(PROXY_PORT, _host_port(DB_URL, 5432))
            self.redis_proxy = TcpProxy(PROXY_PORT + 1, _host_port(REDIS_URL, 6379))
            self.db_proxy.start()
            self.redis_proxy.start()
        # Host 1 is set up as an operator would (schema, certificates, personal-data key); the
        # other hosts get copies of its keys and certificates, and nothing else.
        self.cli("migrate")
        self.cli("pki", "init-test")
        subprocess.run([sys.executable, "-c", "from app.rules.personal_data import encrypt; encrypt('')"], cwd=ROOT,
                       env=self.env(), check=True)
        self.cli("demo")
        for n in range(2, self.workers + 1):
            for name in ("pki", "secrets", "personal-data.key"):
                source = self.data_dir(1) / name
                target = self.data_dir(n) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
        self.script("build")
        self._write_nginx()

    def _reset_database(self) -> None:
        from sqlalchemy import create_engine, text

        url = DB_URL
        name = urlsplit(url).path.lstrip("/")
        admin = create_engine(_with_db(url, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    def _reset_redis(self) -> None:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()  # this Redis database belongs to the test

    def _write_nginx(self) -> None:
        site = self.folder / "site.conf"
        site.write_text(self.script("nginx"))
        tmp = self.folder / "nginx-tmp"
        tmp.mkdir()
        main = self.folder / "nginx.conf"
        main.write_text(f"""worker_processes 1;
pid {self.folder}/nginx.pid;
error_log {self.folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {self.folder}/nginx-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
""")
        check = subprocess.run(["nginx", "-t", "-c", str(main), "-e", str(self.folder / "nginx-error.log")],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t: {check.stderr}")
        self.nginx_conf = main

    # processes
    def start_nginx(self) -> None:
        self.nginx = subprocess.Popen(["nginx", "-c", str(self.nginx_conf), "-e", str(self.folder / "nginx-error.log"),
                                       "-g", "daemon off;"], start_new_session=True)
        deadline = time.time() + 20
        while _port_free(HTTPS_PORT):
            if time.time() > deadline or self.nginx.poll() is not None:
                raise RuntimeError("nginx did not start: " + (self.folder / "nginx-error.log").read_text()[-2000:])
            time.sleep(0.2)

    def start_worker(self, n: int, wait: bool = True) -> None:
        out = open(self.log(n), "a")
        self.procs[n] = subprocess.Popen(["bash", str(ROOT / "scripts" / "production.sh"), "worker", str(n)],
                                         cwd=ROOT, env=self.env(n), stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        if wait:
            self.wait_healthy(n)

    def wait_healthy(self, n: int, timeout: float = 240) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.procs[n].poll() is not None:
                raise RuntimeError(f"worker {n} exited:\n{self.log(n).read_text()[-4000:]}")
            if _health(self.port(n)) == 200:
                return
            time.sleep(1)
        raise RuntimeError(f"worker {n} not healthy in {timeout}s:\n{self.log(n).read_text()[-4000:]}")

    def stop_worker(self, n: int, sig: int = signal.SIGTERM, timeout: float = 60) -> None:
        proc = self.procs.get(n)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        # Every process of the group (granian's worker, the renderer) is gone before we go on.
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        while not _port_free(self.port(n)):
            time.sleep(0.2)

    def worker_pids(self, n: int) -> list[int]:
        """Every process of worker n's group (the granian server and its worker)."""
        out = subprocess.run(["pgrep", "-g", str(self.procs[n].pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def connections_to(self, n: int) -> int:
        """Established TCP connections to worker n's port (nginx's upstream side)."""
        out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{self.port(n)} )"],
                             capture_output=True, text=True)
        return len([line for line in out.stdout.splitlines() if line.strip()])

    def stop(self) -> None:
        for n in list(self.procs):
            self.stop_worker(n)
        if self.nginx is not None and self.nginx.poll() is None:
            os.killpg(self.nginx.pid, signal.SIGTERM)
            self.nginx.wait(timeout=20)
        for proxy in (self.db_proxy, self.redis_proxy):
            if proxy is not None:
                proxy.stop()

    def drop_database(self) -> None:
        from sqlalchemy import create_engine, text

        from app.db import get_engine

        get_engine(DB_URL).dispose()
        name = urlsplit(DB_URL).path.lstrip("/")
        admin = create_engine(_with_db(DB_URL, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def backend_errors(self) -> list[str]:
        """Exceptions in the app's own code in any worker's log."""
        ours = ("/app/state/", "/app/rules/", "/app/signing/", "/app/pages/", "/app/components/", "/app/storage",
                "/app/http", "/app/health")
        errors = []
        for n in self.procs:
            text = self.log(n).read_text(errors="replace")
            for block in text.split("Traceback (most recent call last)")[1:]:
                if any(p in block for p in ours):
                    errors.append(f"worker {n}: {block[:3000]}")
        return errors

    def launch_browser(self, playwright):
        """Chromium that resolves approval.test to this machine and trusts the test CA."""
        env = {k: v for k, v in os.environ.items()}
        env["HOME"] = str(self.home)
        return playwright.chromium.launch(executable_path=CHROMIUM, env=env, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--host-resolver-rules=MAP {HOST} 127.0.0.1"])


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _host_port(url: str, default: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default


def new_folder() -> Path:
    """Under /tmp, readable by nginx's unprivileged workers (pytest's tmp folders are not)."""
    folder = Path(tempfile.mkdtemp(prefix="approval-prod-"))
    folder.chmod(0o755)
    return folder


def approver_at_counter(stack: Stack, browser):
    """A001 enrolled through the CLI's link, S001's key registered by A001, S001 signed in at the
    counter of https://approval.test: the KeyBrowser (conftest) of that page."""
    from tests.browser.conftest import KeyBrowser
    from tests.browser.steps import register_key_for, sign_in, sign_out

    kb = KeyBrowser(browser, ORIGIN)
    page = kb.page
    link = stack.cli("enroll-admin", "A001", "王建国")
    assert link.startswith(ORIGIN + "/enroll?token="), link
    page.goto(link)
    page.click("#enroll")
    page.wait_for_selector("#to-sign-in")
    sign_in(page, ORIGIN, "A001", "/roster")
    register_key_for(page, "S001")
    sign_out(page)
    sign_in(page, ORIGIN, "S001", "/counter")
    return kb


def accept_new(page, applicant: str) -> None:
    """steps.accept_case, waiting for this acceptance's own row in the officer's case list (the
    tab state, in Redis, still shows the previous notice when the page loads)."""
    from tests.browser.steps import fill_application

    fill_application(page, applicant=applicant)
    page.click("#accept")
    page.wait_for_selector(f"tr:has-text('{applicant}')", timeout=30000)
    page.wait_for_selector("#notice:has-text('已受理')")
