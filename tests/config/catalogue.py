"""Hand-written bad configurations: what a user may get wrong, and the field to blame.

``DEPENDENCY_CASES`` are fields of one dependency, tried in every source (code, mapping,
environment, TOML, Flask config); the ``*_CASES`` lists after them only make sense in one
source. ``secret`` is a part of a password the error must not quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MISSING_CA = "/nonexistent/dephealth-ca.pem"


@dataclass(frozen=True)
class Case:
    """A bad input: its fields, the ConfigError field it must name, a secret it must hide."""

    label: str
    fields: dict[str, Any]
    field: str
    secret: str | None = None
    dependency: str | None = "dep"
    sources: tuple[str, ...] = ()  # empty: every source
    extra: dict[str, Any] = field(default_factory=dict)


def _case(
    label: str,
    field_name: str,
    secret: str | None = None,
    *,
    sources: tuple[str, ...] = (),
    **fields: Any,
) -> Case:
    return Case(label, fields, field_name, secret, sources=sources)


#: Sources that take a field by name (in code, a factory's unknown keyword is a TypeError,
#: and the factory called picks the type).
BY_NAME = ("mapping", "environment", "toml", "flask")


DEPENDENCY_CASES = [
    # Passwords whose unencoded characters move the end of the credentials.
    _case(
        "unencoded '/' in a PostgreSQL password",
        "url",
        "Hunt3rPg",
        type="postgres",
        url="postgresql://user:123/Hunt3rPg@127.0.0.1:5432/db",
        critical=True,
    ),
    _case(
        "unencoded '#' in a Redis password",
        "url",
        "Hunt3rRd",
        type="redis",
        url="redis://default:6390#Hunt3rRd@127.0.0.1:6379",
        critical=True,
    ),
    _case(
        "unencoded '?' in an AMQP password",
        "url",
        "Hunt3rMq",
        type="amqp",
        url="amqp://guest:5673?Hunt3rMq@127.0.0.1:5672",
        critical=True,
    ),
    _case(
        "unencoded '@' in an HTTP password",
        "url",
        "Hunt3rHt",
        type="http",
        url="http://user:p@Hunt3rHt@127.0.0.1/health",
        critical=True,
    ),
    _case(
        "unencoded '/' in a MySQL password",
        "url",
        "Hunt3rMy",
        type="mysql",
        url="mysql://root:Hunt3rMy/x@127.0.0.1:3306/test",
        critical=True,
    ),
    _case(
        "unencoded '?' in an LDAP password",
        "url",
        "Hunt3rLd",
        type="ldap",
        url="ldap://cn=admin:Hunt3rLd?x@127.0.0.1:389",
        critical=True,
    ),
    _case(
        "unencoded '#' in a Kafka password",
        "url",
        "Hunt3rKf",
        type="kafka",
        url="kafka://u:Hunt3rKf#x@127.0.0.1:9092",
        critical=True,
    ),
    _case(
        "unencoded '/' in a gRPC password",
        "url",
        "Hunt3rGr",
        type="grpc",
        url="grpc://u:Hunt3rGr/x@127.0.0.1:50051",
        critical=True,
    ),
    _case(
        "unencoded '/' in a TCP URL password",
        "url",
        "Hunt3rTc",
        type="tcp",
        url="tcp://u:Hunt3rTc/x@127.0.0.1:5432",
        critical=True,
    ),
    _case(
        "a space in a password",
        "url",
        "Hunt3rSp",
        type="postgres",
        url="postgres://u:Hunt3rSp x@127.0.0.1/db",
        critical=True,
    ),
    _case(
        "a stray '%' in a password",
        "url",
        "Hunt3rPc",
        type="postgres",
        url="postgres://u:Hunt3rPc%zz@127.0.0.1/db",
        critical=True,
    ),
    _case(
        "'[' in a password",
        "url",
        "Hunt3rBr",
        type="redis",
        url="redis://u:Hunt3rBr[x@127.0.0.1/0",
        critical=True,
    ),
    _case(
        "an '@' in an HTTP path",
        "url",
        type="http",
        url="http://127.0.0.1/users/a@b.example",
        critical=True,
    ),
    # Hosts that are not hosts.
    _case(
        "credentials in host=",
        "host",
        "Zq9kXw7",
        type="tcp",
        host="admin:Zq9kXw7@127.0.0.1",
        port=5432,
        critical=True,
    ),
    _case(
        "host:port in host=", "host", type="tcp", host="127.0.0.1:5432", port=5432, critical=True
    ),
    _case("a URL in host=", "host", type="http", host="http://api.example", critical=True),
    _case("a path in host=", "host", type="http", host="api.example/health", critical=True),
    _case("a space in host=", "host", type="tcp", host="db .example", port=1, critical=True),
    _case(
        "a label starting with '-'", "host", type="tcp", host="-db.example", port=1, critical=True
    ),
    _case(
        "a label of 64 characters",
        "host",
        type="tcp",
        host="a" * 64 + ".example",
        port=1,
        critical=True,
    ),
    _case(
        "a name of 254 characters",
        "host",
        type="tcp",
        host=".".join(["a" * 50] * 5) + ".abc",
        port=1,
        critical=True,
    ),
    _case(
        "an IPv4 address out of range", "host", type="tcp", host="999.1.1.1", port=1, critical=True
    ),
    _case("three numbers for IPv4", "host", type="tcp", host="10.0.1", port=1, critical=True),
    _case("an unterminated IPv6 bracket", "host", type="tcp", host="[::1", port=1, critical=True),
    _case("not an IPv6 address", "host", type="tcp", host="::g", port=1, critical=True),
    _case("a non-ASCII name", "host", type="tcp", host="bücher.example", port=1, critical=True),
    _case("an empty host", "host", type="tcp", host="  ", port=1, critical=True),
    _case("not an IP in brackets", "url", type="tcp", url="tcp://[not-an-ip]:5432", critical=True),
    _case("IPv4 in brackets", "url", type="tcp", url="tcp://[127.0.0.1]:5432", critical=True),
    _case(
        "an IPv6 address without brackets",
        "url",
        type="redis",
        url="redis://::1:6379",
        critical=True,
    ),
    _case(
        "an empty host in a host list",
        "url",
        type="kafka",
        url="kafka://a:9092,,b:9092",
        critical=True,
    ),
    _case("a trailing comma", "url", type="postgres", url="postgres://h:1,", critical=True),
    # Ports.
    _case("port 70000", "port", type="tcp", host="127.0.0.1", port=70000, critical=True),
    _case("port 0", "port", type="tcp", host="127.0.0.1", port="0", critical=True),
    _case("port -1", "port", type="tcp", host="127.0.0.1", port=-1, critical=True),
    _case("an Arabic-Indic digit", "port", type="tcp", host="127.0.0.1", port="٣", critical=True),
    _case(
        "a superscript digit in a URL", "port", type="tcp", url="tcp://127.0.0.1:²", critical=True
    ),
    _case("a port in words", "port", type="tcp", host="127.0.0.1", port="http", critical=True),
    _case(
        "a URL port over 65535", "port", type="http", url="http://127.0.0.1:65536/", critical=True
    ),
    _case("a tcp:// URL with no port", "port", type="tcp", url="tcp://127.0.0.1", critical=True),
    # URLs.
    _case("an unknown scheme", "url", type="http", url="ftp://files.example", critical=True),
    _case("no scheme", "url", type="postgres", url="pg.example:5432", critical=True),
    _case("a scheme of another type", "url", type="http", url="grpc://127.0.0.1", critical=True),
    _case(
        "a URL and a host",
        "host",
        type="tcp",
        url="tcp://127.0.0.1:1",
        host="127.0.0.1",
        critical=True,
    ),
    # Common fields.
    _case(
        "an unknown type",
        "type",
        sources=BY_NAME,
        type="sql",
        url="postgres://127.0.0.1/db",
        critical=True,
    ),
    _case("critical left out", "critical", type="tcp", host="127.0.0.1", port=1),
    _case("critical is maybe", "critical", type="tcp", host="127.0.0.1", port=1, critical="maybe"),
    _case(
        "an interval in words",
        "interval",
        type="tcp",
        host="127.0.0.1",
        port=1,
        critical=True,
        interval="abc",
    ),
    _case(
        "an interval below a second",
        "interval",
        type="tcp",
        host="127.0.0.1",
        port=1,
        critical=True,
        interval=0.5,
    ),
    _case(
        "a timeout over 30 s",
        "timeout",
        type="tcp",
        host="127.0.0.1",
        port=1,
        critical=True,
        interval=60,
        timeout=40,
    ),
    _case(
        "a threshold of 11",
        "failure_threshold",
        type="tcp",
        host="127.0.0.1",
        port=1,
        critical=True,
        failure_threshold=11,
    ),
    _case(
        "a reserved label",
        "labels",
        type="tcp",
        host="127.0.0.1",
        port=1,
        critical=True,
        labels={"host": "x"},
    ),
    _case(
        "a label name with a digit first",
        "labels",
        type="tcp",
        host="127.0.0.1",
        port=1,
        critical=True,
        labels={"1x": "y"},
    ),
    _case(
        "an unknown setting",
        "colour",
        sources=BY_NAME,
        type="tcp",
        host="127.0.0.1",
        port=1,
        critical=True,
        colour="red",
    ),
    # Checker options.
    _case(
        "an empty PostgreSQL query",
        "query",
        type="postgres",
        url="postgres://127.0.0.1/db",
        critical=True,
        query="",
    ),
    _case(
        "an HTTP status out of range",
        "expected_statuses",
        type="http",
        url="http://127.0.0.1/",
        critical=True,
        expected_statuses="600",
    ),
    _case(
        "an HTTP method that does not exist",
        "method",
        type="http",
        url="http://127.0.0.1/",
        critical=True,
        method="BREW",
    ),
    _case(
        "an unknown LDAP check method",
        "check_method",
        type="ldap",
        url="ldap://127.0.0.1",
        critical=True,
        check_method="nope",
    ),
    _case(
        "a Redis database that is not a number",
        "db",
        type="redis",
        url="redis://127.0.0.1/x",
        critical=True,
    ),
    # CA files, read at construction.
    _case(
        "a missing Redis CA file",
        "tls_ca_file",
        type="redis",
        url="rediss://127.0.0.1/0",
        critical=True,
        tls_ca_file=MISSING_CA,
    ),
    _case(
        "a missing LDAP CA file",
        "tls_ca_file",
        type="ldap",
        url="ldaps://127.0.0.1",
        critical=True,
        tls_ca_file=MISSING_CA,
    ),
    _case(
        "a missing AMQP CA file",
        "tls_ca_file",
        type="amqp",
        url="amqps://127.0.0.1/",
        critical=True,
        tls_ca_file=MISSING_CA,
    ),
    _case(
        "a missing gRPC CA file",
        "tls_ca_file",
        type="grpc",
        url="grpcs://127.0.0.1:50051",
        critical=True,
        tls_ca_file=MISSING_CA,
    ),
    _case(
        "a missing HTTP CA file",
        "tls_ca_file",
        type="http",
        url="https://127.0.0.1/",
        critical=True,
        tls_ca_file=MISSING_CA,
    ),
    _case(
        "a missing PostgreSQL root certificate",
        "sslrootcert",
        type="postgres",
        url="postgres://127.0.0.1/db",
        critical=True,
        sslmode="verify-full",
        sslrootcert=MISSING_CA,
    ),
    _case(
        "a missing MySQL CA file",
        "ssl_ca",
        type="mysql",
        url="mysql://127.0.0.1/test",
        critical=True,
        ssl_mode="verify_ca",
        ssl_ca=MISSING_CA,
    ),
]
