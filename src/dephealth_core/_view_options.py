"""``ViewOptions``: the one declaration of what the health views take.

Every adapter (the Starlette middleware and ``install()``, the Flask extension, Django's
``DEPHEALTH`` dict) and :class:`~dephealth_core.HealthViews` itself validate their view options
through this dataclass, so a bad prefix, path or detail setting is the same ConfigError
everywhere, at construction. The flat ``DEPHEALTH_*`` keys of the options (``DEPHEALTH_PREFIX``,
``DEPHEALTH_SHOW_DETAILS``...) derive from its field names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from ._exceptions import ConfigError
from ._validation import check_bool

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

DEFAULT_PATHS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "dependencies": "/health/dependencies",
        "livez": "/livez",
        "readyz": "/readyz",
        "health": "/health",
        "details": "/health/details",
        "metrics": "/metrics",
    }
)
#: The views whose answer depends on ``show_details``.
GATED_VIEWS: Final = frozenset({"health", "details"})

ShowDetails = Literal["never", "token", "always"] | Callable[[Any], bool]


@dataclass(frozen=True)
class ViewOptions:
    """Which health views are served where, and who sees details.

    Args:
        prefix: a common prefix for every path (``"/ops"``).
        paths: view name -> path overrides; a path of ``None`` disables that view.
        show_details: ``"never"``, ``"always"``, ``"token"`` (needs ``details_token``) or a
            callable that receives the framework's request and says yes or no.
        details_token: the bearer token that unlocks details in ``"token"`` mode.
        metrics: serve ``/metrics`` (a bool, or yes/no, true/false, on/off, 1/0).
        registry: the registry ``/metrics`` exposes (default: the engine's).

    Raises:
        ConfigError: naming the field, for any invalid value.
    """

    prefix: str = ""
    paths: Mapping[str, str | None] | None = None
    show_details: ShowDetails = "never"
    details_token: str | None = field(default=None, repr=False)
    metrics: bool = False
    registry: CollectorRegistry | None = field(default=None, repr=False, metadata={"flat": False})
    #: Enabled view -> its full path (prefix included); derived, not an argument.
    routes: Mapping[str, str] = field(init=False, repr=False, compare=False)
    #: The named ``show_details`` modes (a callable is the fourth).
    show_details_modes: ClassVar[tuple[str, ...]] = ("never", "token", "always")

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str):
            raise ConfigError("expected a string such as '/ops'", field="prefix")
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise ConfigError("must start with '/' and not end with one", field="prefix")
        if not callable(self.show_details) and self.show_details not in self.show_details_modes:
            raise ConfigError(
                "expected 'never', 'token', 'always' or a callable", field="show_details"
            )
        if self.details_token is not None and not isinstance(self.details_token, str):
            raise ConfigError("expected a string", field="details_token")
        if self.show_details == "token" and not self.details_token:
            raise ConfigError("show_details='token' needs details_token", field="details_token")
        object.__setattr__(self, "metrics", check_bool(self.metrics, field="metrics"))
        object.__setattr__(self, "routes", MappingProxyType(self._routes()))

    def _routes(self) -> dict[str, str]:
        chosen: dict[str, str | None] = dict(DEFAULT_PATHS)
        if self.paths is not None:
            if not isinstance(self.paths, Mapping):
                raise ConfigError("expected a mapping of view name -> path", field="paths")
            unknown = set(self.paths) - set(DEFAULT_PATHS)
            if unknown:
                raise ConfigError(f"unknown views {sorted(map(str, unknown))}", field="paths")
            for view, path in self.paths.items():
                if path is not None and not isinstance(path, str):
                    raise ConfigError(f"path of {view!r} must be a string or None", field="paths")
            chosen.update(self.paths)
        if not self.metrics:
            chosen["metrics"] = None
        routes = {view: self.prefix + path for view, path in chosen.items() if path is not None}
        for view, path in routes.items():
            if not path.startswith("/"):
                raise ConfigError(f"path of {view!r} must start with '/'", field="paths")
        if len(set(routes.values())) != len(routes):
            raise ConfigError("two views share a path", field="paths")
        return routes

    @property
    def request_views(self) -> frozenset[str]:
        """The views whose answer needs the framework's request (a ``show_details`` callable)."""
        return GATED_VIEWS if callable(self.show_details) else frozenset()

    @property
    def header_views(self) -> frozenset[str]:
        """The views whose answer reads the request headers (``show_details="token"``)."""
        return GATED_VIEWS if self.show_details == "token" else frozenset()

    @classmethod
    def keywords(cls) -> tuple[str, ...]:
        """The option names, as keywords of the constructor."""
        return tuple(f.name for f in fields(cls) if f.init and f.name in _VIEW_FIELDS)

    @classmethod
    def flat_keys(cls, prefix: str = "DEPHEALTH_") -> dict[str, str]:
        """Flat key -> option name: ``{"DEPHEALTH_PREFIX": "prefix", ...}`` (no ``registry``)."""
        return {
            prefix + f.name.upper(): f.name
            for f in fields(cls)
            if f.init and f.name in _VIEW_FIELDS and f.metadata.get("flat", True)
        }


_VIEW_FIELDS: Final = frozenset(
    {"prefix", "paths", "show_details", "details_token", "metrics", "registry"}
)
