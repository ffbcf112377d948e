"""Every public name of dephealth 0.8.2 exists in ours, with call shapes its users can keep.

The list is data (``dephealth_surface.SURFACE``), read once from the SDK's sources; the peer is
never installed at test time. Ours may accept more (extra optional parameters, durations as
numbers); it may not require what dephealth left optional, nor move a positional parameter.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypedDict, Unpack

import pytest

from tests.compat.dephealth_surface import (
    MODULE_MAP,
    SURFACE,
    Class,
    Entry,
    Enum,
    Func,
    P,
    Router,
    Value,
)

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)

# Names of ours with another shape, and why (docs/migrating-from-dephealth.md).
DIFFERENT_SHAPE = {
    "Dependency": (
        "ours is what the factories return; dephealth's is its scheduler's descriptor, which "
        "none of its docs or examples construct"
    ),
}

CASES = [
    pytest.param(module, name, entry, id=f"{module}.{name}")
    for module, names in SURFACE.items()
    for name, entry in names.items()
]


def typed_keywords(ours: Callable[..., Any]) -> dict[str, bool]:
    """The keywords a ``**kwargs: Unpack[SomeTypedDict]`` parameter declares: name -> required."""
    target = ours.__init__ if inspect.isclass(ours) else ours  # type: ignore[misc]
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception:
        return {}
    for param in inspect.signature(ours).parameters.values():
        hint = hints.get(param.name)
        if param.kind is inspect.Parameter.VAR_KEYWORD and typing.get_origin(hint) is Unpack:
            (typed,) = typing.get_args(hint)
            return {key: key in typed.__required_keys__ for key in typing.get_type_hints(typed)}
    return {}


def signature_problems(ours: Callable[..., Any], expected: tuple[P, ...]) -> list[str]:
    """What a call written for dephealth's parameters ``expected`` would break on in ``ours``."""
    params = [p for p in inspect.signature(ours).parameters.values() if p.name != "self"]
    typed = typed_keywords(ours)
    positional = [p for p in params if p.kind in _POSITIONAL]
    by_name = {p.name: p for p in params}
    has_var_pos = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    has_var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    problems: list[str] = []
    index = 0
    for exp in expected:
        if exp.kind == "*":
            if not has_var_pos:
                problems.append(f"*{exp.name}: ours takes no extra positional arguments")
            continue
        if exp.kind == "**":
            if not has_var_kw:
                problems.append(f"**{exp.name}: ours takes no extra keyword arguments")
            continue
        if exp.kind == "pos":
            if index >= len(positional) or positional[index].name != exp.name:
                found = positional[index].name if index < len(positional) else None
                problems.append(f"{exp.name}: expected as positional #{index}, found {found!r}")
                index += 1
                continue
            index += 1
        theirs = by_name.get(exp.name)
        if theirs is None and exp.kind == "kw" and exp.name in typed:
            if not exp.required and typed[exp.name]:
                problems.append(f"{exp.name}: optional in dephealth, required in ours")
            continue
        if theirs is None or theirs.kind not in _BY_NAME:
            problems.append(f"{exp.name}: not accepted as a keyword")
            continue
        if not exp.required and theirs.default is inspect.Parameter.empty:
            problems.append(f"{exp.name}: optional in dephealth, required in ours")
    known = {exp.name for exp in expected}
    for p in params:
        required = p.default is inspect.Parameter.empty and p.kind in (*_POSITIONAL, *_BY_NAME)
        if required and p.name not in known:
            problems.append(f"{p.name}: required in ours, unknown to dephealth")
    return problems


def _is_async(function: Any) -> bool:
    return inspect.iscoroutinefunction(function)


def _resolve(module: str, name: str) -> Any:
    target = importlib.import_module(MODULE_MAP[module])
    assert hasattr(target, name), f"{MODULE_MAP[module]} has no {name} (dephealth: {module})"
    return getattr(target, name)


def _check_func(ours: Any, entry: Func, what: str) -> None:
    assert callable(ours), f"{what} is not callable"
    assert signature_problems(ours, entry.params) == [], what
    if entry.is_async:
        assert _is_async(ours), f"{what} must be a coroutine function, as in dephealth"


def _check_class(module: str, ours: Any, entry: Class, what: str) -> None:
    assert inspect.isclass(ours), f"{what} is not a class"
    if entry.init:
        assert signature_problems(ours, entry.init) == [], f"{what}(...)"
    target = importlib.import_module(MODULE_MAP[module])
    for base in entry.bases:
        assert issubclass(ours, getattr(target, base)), f"{what} is not a {base}"
    for attribute in (*entry.properties, *entry.fields):
        declared = attribute in getattr(ours, "__dataclass_fields__", {}) or any(
            attribute in vars(klass) or attribute in getattr(klass, "__annotations__", {})
            for klass in ours.__mro__
        )
        assert declared, f"{what}.{attribute} is missing"
    for method_name, method in entry.methods.items():
        assert hasattr(ours, method_name), f"{what}.{method_name} is missing"
        _check_func(getattr(ours, method_name), method, f"{what}.{method_name}")


@pytest.mark.parametrize(("module", "name", "entry"), CASES)
def test_dephealth_name_exists_with_its_call_shape(module: str, name: str, entry: Entry) -> None:
    """``from <ours> import <name>`` works and takes every argument dephealth's users pass."""
    ours = _resolve(module, name)
    what = f"{MODULE_MAP[module]}.{name}"
    if name in DIFFERENT_SHAPE and isinstance(entry, Class):
        for attribute in ("name", "type", "critical", "validate"):
            declared = attribute in getattr(ours, "__dataclass_fields__", {})
            assert declared or hasattr(ours, attribute), f"{what}.{attribute}"
        return
    if isinstance(entry, Func):
        _check_func(ours, entry, what)
    elif isinstance(entry, Class):
        _check_class(module, ours, entry, what)
    elif isinstance(entry, Enum):
        for member, value in entry.members.items():
            assert getattr(ours, member).value == value, f"{what}.{member}"
            assert getattr(ours, member) == value, f"{what}.{member} compares equal to {value!r}"
            assert ours(value) is getattr(ours, member)
    elif isinstance(entry, Value):
        if hasattr(entry.value, "pattern"):
            assert ours.pattern == entry.value.pattern, what
        else:
            assert ours == entry.value, what
    elif isinstance(entry, Router):
        served = {
            (method, route.path)
            for route in ours.routes
            for method in getattr(route, "methods", ()) or ()
        }
        for route in entry.routes:
            assert route in served, f"{what} does not serve {route}"
    else:  # pragma: no cover - the data has only the kinds above
        raise AssertionError(f"unknown entry kind {entry!r}")


def test_surface_list_is_complete() -> None:
    """The data covers the SDK's whole ``__all__`` of ``dephealth`` and ``dephealth_fastapi``."""
    assert len(SURFACE["dephealth"]) == 36
    assert set(SURFACE["dephealth_fastapi"]) == {
        "DepHealthMiddleware",
        "dependencies_router",
        "dephealth_lifespan",
    }
    factories = {n for n in SURFACE["dephealth.api"] if n.endswith("_check")}
    assert factories == {
        f"{kind}_check"
        for kind in ("http", "grpc", "tcp", "postgres", "mysql", "redis", "amqp", "kafka", "ldap")
    }


def test_signature_problems_reports_each_kind_of_break() -> None:
    """The comparison itself catches a moved positional, a lost keyword and a new requirement."""

    def ours(a: int, c: int, *, d: int, e: int = 0) -> None: ...

    expected = (P("a", "pos", required=True), P("b", "pos"), P("e", "kw"), P("f", "kw"))
    problems = signature_problems(ours, expected)
    assert any(p.startswith("b:") for p in problems)
    assert any(p.startswith("f:") for p in problems)
    assert any(p.startswith("d:") for p in problems)
    assert not any(p.startswith(("a:", "e:")) for p in problems)


class _Common(TypedDict, total=False):
    timeout: float
    labels: dict[str, str]


def test_typed_keyword_arguments_count_as_accepted() -> None:
    """``**common: Unpack[TypedDict]`` accepts the keywords the TypedDict declares."""

    def ours(name: str, *, critical: bool, **common: Unpack[_Common]) -> None: ...

    expected = (P("name", "pos", required=True), P("critical", "kw", required=True))
    assert signature_problems(ours, (*expected, P("timeout", "kw"), P("labels", "kw"))) == []
    assert signature_problems(ours, (*expected, P("interval", "kw"))) != []
