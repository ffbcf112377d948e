"""The built-in dependency types: each one's factory and kind, by type name.

The configuration reads them to build dependencies from mappings and the environment.
"""

from __future__ import annotations

from collections.abc import Callable

from ._dependency import Dependency, Kind
from .checks._amqp import AMQP_KIND, amqp_check
from .checks._grpc import GRPC_KIND, grpc_check
from .checks._http import HTTP_KIND, http_check
from .checks._kafka import KAFKA_KIND, kafka_check
from .checks._ldap import LDAP_KIND, ldap_check
from .checks._mysql import MYSQL_KIND, mysql_check
from .checks._postgres import POSTGRES_KIND, postgres_check
from .checks._redis import REDIS_KIND, redis_check
from .checks._tcp import TCP_KIND, tcp_check

FACTORIES: dict[str, Callable[..., Dependency]] = {
    "amqp": amqp_check,
    "grpc": grpc_check,
    "http": http_check,
    "kafka": kafka_check,
    "ldap": ldap_check,
    "mysql": mysql_check,
    "postgres": postgres_check,
    "redis": redis_check,
    "tcp": tcp_check,
}
KINDS: dict[str, Kind] = {
    "amqp": AMQP_KIND,
    "grpc": GRPC_KIND,
    "http": HTTP_KIND,
    "kafka": KAFKA_KIND,
    "ldap": LDAP_KIND,
    "mysql": MYSQL_KIND,
    "postgres": POSTGRES_KIND,
    "redis": REDIS_KIND,
    "tcp": TCP_KIND,
}
