"""TLS material for tests: one test CA and server certificates, plus the HTTP stub over TLS.

``tls_material()`` gives PEM files for 127.0.0.1, ::1 and localhost signed by the process-wide
test CA; trust ``ca_pem`` (or use ``client_context()``) to accept them. The other kinds exist to
make a check fail with a TLS error:

============== ====================================================================
trusted        signed by the test CA, valid for 127.0.0.1, ::1 and localhost
self_signed    a self-signed certificate for the same names (no CA trusts it)
wrong_host     signed by the test CA, but only for ``wrong-host.invalid``
expired        signed by the test CA for the right names, expired a year ago
============== ====================================================================

Files live in one temp dir per process, removed at exit.
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import shutil
import socket
import ssl
import tempfile
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Literal

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ._http_stub import HttpStubServer, _Server

__all__ = [
    "CertKind",
    "HttpsServer",
    "TlsMaterial",
    "self_signed_https_server",
    "shared_ca",
    "tls_material",
    "trusted_https_server",
]

CertKind = Literal["trusted", "self_signed", "wrong_host", "expired"]
SERVER_NAMES = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class TlsMaterial:
    """PEM files of one server certificate.

    Attributes:
        kind: which certificate this is (see the module docstring).
        ca_pem: the test CA certificate; trusting it accepts the ``trusted`` kind only.
        cert_pem: the server certificate chain (leaf first).
        key_pem: the server private key (unencrypted).
    """

    kind: CertKind
    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for a server presenting this certificate."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_pem, self.key_pem)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client SSL context that trusts the test CA (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.ca_pem))


@cache
def _material_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="dephealth-tls-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@cache
def shared_ca() -> trustme.CA:
    """The process-wide test CA (trustme)."""
    return trustme.CA(organization_name="dephealth tests")


@cache
def tls_material(kind: CertKind = "trusted") -> TlsMaterial:
    """Write (once per process and kind) and return the PEM files of a server certificate."""
    ca = shared_ca()
    folder = _material_dir()
    ca_pem = folder / "ca.pem"
    if not ca_pem.exists():
        ca.cert_pem.write_to_path(str(ca_pem))
    cert_pem, key_pem = folder / f"{kind}-cert.pem", folder / f"{kind}-key.pem"
    if kind == "self_signed":
        cert, key = _self_signed_pems()
        cert_pem.write_bytes(cert)
        key_pem.write_bytes(key)
    else:
        if kind == "trusted":
            leaf = ca.issue_cert(*SERVER_NAMES)
        elif kind == "wrong_host":
            leaf = ca.issue_cert("wrong-host.invalid")
        elif kind == "expired":
            now = datetime.datetime.now(datetime.UTC)
            leaf = ca.issue_cert(
                *SERVER_NAMES,
                not_before=now - datetime.timedelta(days=730),
                not_after=now - datetime.timedelta(days=365),
            )
        else:
            raise ValueError(f"unknown certificate kind {kind!r}")
        cert_pem.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(key_pem))
    key_pem.chmod(0o600)
    return TlsMaterial(kind=kind, ca_pem=ca_pem, cert_pem=cert_pem, key_pem=key_pem)


def _self_signed_pems() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost")]
                + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ("127.0.0.1", "::1")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class _TlsHttpServer(_Server):
    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
    ) -> None:
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        # The handshake runs in the connection's own thread: a client that never completes it
        # (or rejects our certificate) cannot stall the accept loop.
        request.settimeout(10)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()


class HttpsServer(HttpStubServer):
    """The HTTP stub over TLS with a certificate of ``kind``: 200 ``ok`` to any method and path,
    or each path's status in ``routes``.

    ``requests`` lists the requests answered (handshakes that failed are not requests).

    Example:
        with HttpsServer("self_signed") as server:
            http_check("api", url=server.url, critical=True)  # fails with tls_error
    """

    scheme = "https"

    def __init__(
        self, kind: CertKind = "trusted", *, routes: dict[str, int] | None = None, port: int = 0
    ) -> None:
        super().__init__(routes=routes, port=port)
        self.material = tls_material(kind)

    @property
    def ca_pem(self) -> Path:
        """The test CA; trusting it accepts a ``trusted`` server only."""
        return self.material.ca_pem

    def _make_server(self) -> _Server:
        return _TlsHttpServer((self.host, self.port), self.handler, self.material.server_context())


def self_signed_https_server() -> HttpsServer:
    """An HTTPS server (not started) whose certificate no client trusts: checks get tls_error."""
    return HttpsServer("self_signed")


def trusted_https_server() -> HttpsServer:
    """An HTTPS server (not started) whose certificate the test CA (``ca_pem``) signed."""
    return HttpsServer("trusted")
