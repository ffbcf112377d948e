"""Pools and clients the app owns, handed to the checks inside the app's context.

A lazy reference (a zero-argument callable, such as ``lambda: db.engine``) is resolved by the
engine when checks start, on the checker thread, where no Flask context exists; it is wrapped
here so that it runs inside ``app.app_context()``. A Flask-SQLAlchemy extension object given as
the pool stands for its engine, resolved the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from dephealth_core import Dependency


def bind_to_app(dependency: Dependency, app: Flask) -> Dependency:
    """The dependency with its lazy pool or client resolved in ``app``'s context."""
    source = dependency.source
    if source is None:
        return dependency
    if _is_flask_sqlalchemy(source):
        extension = source

        def engine() -> Any:
            return extension.engine

        return dependency.replace(source=_in_app_context(app, engine))
    if dependency.is_lazy:
        return dependency.replace(source=_in_app_context(app, source))
    return dependency


def _is_flask_sqlalchemy(source: Any) -> bool:
    # Checked by module rather than isinstance so that flask_sqlalchemy stays optional.
    module = type(source).__module__ or ""
    return module.split(".", 1)[0] == "flask_sqlalchemy" and hasattr(type(source), "engine")


def _in_app_context(app: Flask, factory: Callable[[], Any]) -> Callable[[], Any]:
    def resolve() -> Any:
        with app.app_context():
            return factory()

    resolve.__qualname__ = f"in_app_context({getattr(factory, '__qualname__', 'factory')})"
    return resolve
