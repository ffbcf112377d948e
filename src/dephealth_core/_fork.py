"""Fork handling, in one place: what a child forked from a process with engines must redo.

gunicorn ``--preload`` and uwsgi load the app once and fork workers from it. A child inherits
the parent's engines but not its threads, and the parent's event loop, tasks and pool
connections are not its own. Right after a fork, in the child and in this order:

1. the parent's background runner is forgotten (the next use starts a thread of the child's own);
2. every engine resets its runtime (``reset_after_fork()``: runners, statuses, lazy pools);
3. engines that ran in the background in the parent start again in the child;
4. callbacks registered with :func:`register_after_fork` run (adapters reset their own state
   there, or start checks that were waiting for the fork).

Python runs this through ``os.register_at_fork`` when it forks; uwsgi forks its workers in
C and calls no such hook (unless ``--py-call-osafterfork``), so under uwsgi the same steps
are also registered with its post-fork hook. They run once per child either way.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._background import BackgroundRunner, tracked_services

if TYPE_CHECKING:
    from ._protocols import BackgroundService

logger = logging.getLogger("dephealth")

_engines: weakref.WeakSet[BackgroundService] = weakref.WeakSet()
_callbacks: list[Callable[[], object]] = []


def watch_for_fork(engine: BackgroundService) -> None:
    """Reset ``engine`` in every child forked from now on (engines call this when built)."""
    _engines.add(engine)


def register_after_fork(callback: Callable[[], object]) -> Callable[[], None]:
    """Run ``callback()`` in each child forked from now on, after the core has reset itself.

    Exceptions are logged and do not stop the other callbacks. Returns a function that
    unregisters the callback.
    """
    _callbacks.append(callback)

    def unregister() -> None:
        if callback in _callbacks:
            _callbacks.remove(callback)

    return unregister


_reset_in: int | None = None


def _after_fork_in_child() -> None:
    global _reset_in
    if _reset_in == os.getpid():
        return  # uwsgi with --py-call-osafterfork calls both hooks
    _reset_in = os.getpid()
    BackgroundRunner.forget_after_fork()
    for engine in list(_engines):
        try:
            engine.reset_after_fork()
        except Exception as exc:
            logger.error(
                "dephealth: resetting after fork failed name=%s error=%s",
                engine.name,
                type(exc).__name__,
            )
    for service in tracked_services():
        try:
            service.start_background()
        except Exception as exc:
            logger.error(
                "dephealth: restarting checks after fork failed name=%s error=%s",
                service.name,
                type(exc).__name__,
            )
    for callback in list(_callbacks):
        try:
            callback()
        except Exception as exc:
            logger.error("dephealth: after-fork callback failed error=%s", type(exc).__name__)


def in_prefork_master() -> bool:
    """True while a pre-fork server's master loads the app, to fork its workers from it next.

    gunicorn with ``--preload``: a gunicorn worker installs its signal handlers before it
    loads the app; the master loads it before installing its own. uwsgi without lazy-apps:
    the app loads in the master, whose worker id is 0.
    """
    uwsgi = sys.modules.get("uwsgi")
    if uwsgi is not None:
        return bool(uwsgi.worker_id() == 0)
    if not os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        return False
    owner = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return not type(owner).__module__.startswith("gunicorn.workers")


def _hook_uwsgi_post_fork() -> None:
    # The uwsgi module exists only inside a uwsgi process; uwsgidecorators ships with it and
    # chains post-fork callbacks, so the app's own ones keep running.
    if "uwsgi" not in sys.modules:
        return
    try:
        decorators = importlib.import_module("uwsgidecorators")
    except ImportError:
        logger.warning(
            "dephealth: under uwsgi without uwsgidecorators: checks of an app loaded before "
            "the fork do not restart in the workers (use lazy-apps or --py-call-osafterfork)"
        )
        return
    decorators.postfork(_after_fork_in_child)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
_hook_uwsgi_post_fork()
