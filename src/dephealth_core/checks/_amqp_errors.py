"""aiormq and aio-pika errors as classified errors: the only place that knows them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from .._exceptions import AuthError, CheckError, Unhealthy
from ._drivers import platform_error

#: connection.close reply codes that mean the credentials or their rights were refused.
_ACCESS_CODES = frozenset({403, 530})


@contextlib.asynccontextmanager
async def amqp_errors() -> AsyncIterator[None]:
    """Turn aiormq/aio-pika errors into classified ones: the only place that knows them."""
    from aiormq import exceptions as ax

    try:
        yield
    except CheckError:
        raise
    except (ax.ProbableAuthenticationError, ax.AuthenticationError) as exc:
        raise AuthError("the broker refused the credentials") from exc
    except ax.ConnectionClosed as exc:
        if exc.args and exc.args[0] in _ACCESS_CODES:
            raise AuthError("the broker refused access to the virtual host") from exc
        raise Unhealthy("the broker closed the connection") from exc
    except ax.InvalidFrameError as exc:
        # aiormq reports a Connection.Close in answer to Connection.Open (RabbitMQ's 530
        # for a virtual host the user may not open, or that does not exist) this way.
        if "Connection.Close" in str(exc):
            raise AuthError("the broker refused access to the virtual host") from exc
        raise CheckError("the broker answered out of protocol") from exc
    except (ax.AMQPConnectionError, ax.IncompatibleProtocolError, OSError) as exc:
        error = platform_error(exc, "cannot talk to the broker", default="connection_refused")
        raise error from exc
    except (ax.AMQPError, RuntimeError) as exc:
        # A channel or connection the broker closed, or one aio-pika no longer uses.
        raise Unhealthy("the broker connection is not usable") from exc
