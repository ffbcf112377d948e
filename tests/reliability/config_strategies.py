"""Hypothesis strategies for configuration: values, URLs, mappings, TOML text, environments.

Biased towards the real keys, types and schemes so that most examples get deep into the
validation (a dependency's options, its URL, its checker) rather than failing on the first
unknown key; random text and odd values are mixed in at every level.
"""

from __future__ import annotations

import json
import math
import string
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from dephealth_core._config import COMMON_FIELDS, GLOBAL_KEYS
from dephealth_core._kinds import KINDS
from dephealth_core._urls import SCHEMES

TYPES = sorted(KINDS)
OPTION_NAMES = sorted(COMMON_FIELDS | {o for kind in KINDS.values() for o in kind.options})
#: Values that reach particular branches: units, ranges, enumerations, files, odd digits.
TRICKY = [
    "yes",
    "no",
    "maybe",
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "nan",
    "inf",
    "²",
    "٣",
    "1_000",
    "100-599",
    "200-99999999",
    "599-100",
    "abc-def",
    "/nonexistent/ca.pem",
    "/dev/null",
    "root_dse",
    "SEARCH",
    "simple_bind",
    "sub",
    "verify-full",
    "verify_ca",
    "required",
    "GET",
    "BREW",
    "user:pass",
    "{",
    "[1,",
    '{"a": 1}',
    "[200, 204]",
    "\x00",
    "🙂",
]

names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
    st.sampled_from(["db", "cache", "a" * 64, "A", "1db", "db_main", "-", ""]),
    st.text(max_size=12),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(TRICKY),
    st.text(max_size=16),
    st.timedeltas(min_value=timedelta(seconds=-5), max_value=timedelta(minutes=20)),
)


ALL_SCHEMES = st.one_of(
    st.sampled_from(sorted(SCHEMES)), st.sampled_from(["jdbc:postgresql", "ftp", "HTTP", ""])
)


@st.composite
def urls(
    draw: st.DrawFn,
    password: st.SearchStrategy[str] | None = None,
    schemes: st.SearchStrategy[str] = ALL_SCHEMES,
) -> str:
    """URLs of every scheme (and some unknown ones), hosts, ports, credentials, paths, queries."""
    scheme = draw(schemes)
    host = draw(
        st.one_of(
            st.sampled_from(
                ["db.example", "127.0.0.1", "[::1]", "::1", "[::1", "", "a..b", "h.invalid"]
            ),
            st.text(alphabet=string.ascii_lowercase + ".-[]:%", max_size=10),
        )
    )
    hosts = [host, *draw(st.lists(st.sampled_from(["db2.example", "", "[fe80::1]:1"]), max_size=2))]
    port = draw(
        st.one_of(
            st.none(),
            st.integers(min_value=-1, max_value=70000).map(str),
            st.sampled_from(["", "²", "80a", "0"]),
        )
    )
    authority = ",".join(hosts) + (f":{port}" if port is not None else "")
    if password is not None:
        user = draw(st.sampled_from(["user", "", "u@x"]))
        authority = f"{user}:{draw(password)}@{authority}"
    elif draw(st.booleans()):
        userinfo = draw(st.text(alphabet=string.printable, max_size=12))
        authority = f"{userinfo}@{authority}"
    tail = draw(
        st.one_of(
            st.just(""),
            st.sampled_from(
                ["/", "/db", "/0", "/16", "/²", "/health?x=1", "/vhost%2F", "?sslmode=bogus"]
            ),
            st.text(alphabet=string.printable, max_size=12).map(lambda t: "/" + t),
        )
    )
    return f"{scheme}://{authority}{tail}" if scheme else f"{authority}{tail}"


any_url = st.one_of(urls(), st.text(max_size=40))

values = st.recursive(
    st.one_of(scalars, any_url),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=5,
)


def _chance(numerator: int, denominator: int = 10) -> st.SearchStrategy[bool]:
    """True ``numerator`` times in ``denominator``; the likelier outcome first (it is the
    one Hypothesis tries first and shrinks towards)."""
    yes, no = [True] * numerator, [False] * (denominator - numerator)
    return st.sampled_from(yes + no if numerator * 2 >= denominator else no + yes)


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten: examples should fail deep, not on the first key."""
    return _chance(9).flatmap(lambda ok: good if ok else bad)


@st.composite
def dependency_fields(draw: st.DrawFn) -> Any:
    """A dependency's table: mostly a type, a URL of its scheme, ``critical`` and options."""
    if not draw(_chance(19, 20)):
        return draw(values)  # not even a table
    fields: dict[str, Any] = {}
    kind = draw(st.sampled_from(TYPES))
    if draw(_chance(9)):
        fields["type"] = kind if draw(_chance(9)) else draw(st.sampled_from(["HTTP", "sql", ""]))
    if draw(_chance(8)):
        own = sorted(scheme for scheme, entry in SCHEMES.items() if entry[0] == kind)
        fields["url"] = draw(_mostly(urls(schemes=st.sampled_from(own)), any_url))
    if draw(_chance(9)):
        fields["critical"] = draw(
            _mostly(st.booleans(), st.sampled_from(["yes", "maybe", 1, None]))
        )
    options = sorted(COMMON_FIELDS | KINDS[kind].options)
    keys = draw(st.lists(_mostly(st.sampled_from(options), st.text(max_size=8)), max_size=3))
    for key in keys:
        fields[key] = draw(values)
    return fields


durations = st.one_of(
    st.floats(min_value=0, max_value=700), st.integers(-1, 700), st.sampled_from(TRICKY), values
)


valid_names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """A nested settings mapping (Django's ``DEPHEALTH``, a TOML file's table)."""
    config: dict[str, Any] = {}
    for key in ("name", "group"):
        if draw(_chance(19, 20)):
            config[key] = draw(_mostly(valid_names, st.one_of(names, values)))
    for key in (
        "check_interval",
        "interval",
        "timeout",
        "initial_delay",
        "failure_threshold",
        "success_threshold",
    ):
        if draw(_chance(2)):
            config[key] = draw(
                _mostly(st.sampled_from([1, 2, 5, 0.5, "3", timedelta(seconds=2)]), durations)
            )
    config["dependencies"] = draw(
        _mostly(
            st.dictionaries(
                _mostly(valid_names, names), dependency_fields(), min_size=1, max_size=3
            ),
            values,
        )
    )
    if draw(_chance(1, 20)):
        config[draw(st.text(max_size=8))] = draw(values)
    return config


def _toml_key(key: str) -> str:
    return json.dumps(key)


def _toml_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 2**63 else json.dumps(str(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, timedelta):
        return repr(value.total_seconds())
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        items = [v for v in (_toml_value(item) for item in value) if v is not None]
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        pairs = [
            f"{_toml_key(str(k))} = {v}"
            for k, v in ((k, _toml_value(item)) for k, item in value.items())
            if v is not None
        ]
        return "{" + ", ".join(pairs) + "}"
    return json.dumps(str(value))


def to_toml(config: dict[str, Any], *, table: bool) -> str:
    """A TOML document for ``config`` (inline tables), under ``[dephealth]`` when ``table``."""
    lines = ["[dephealth]"] if table else []
    for key, value in config.items():
        rendered = _toml_value(value)
        if rendered is not None:
            lines.append(f"{_toml_key(key)} = {rendered}")
    return "\n".join(lines) + "\n"


toml_documents = st.one_of(
    st.builds(to_toml, configs(), table=st.booleans()),
    st.text(max_size=80),
    st.sampled_from(
        [
            "[dephealth]\nname = ",
            "dephealth = 3\n",
            "[[dephealth]]\n",
            "\x00",
            "name = 'a'\nname = 'b'\n",
        ]
    ),
)

_env_fields = st.one_of(
    st.sampled_from([name.upper() for name in OPTION_NAMES]),
    st.sampled_from(
        ["LABEL_REGION", "LABEL_", "LABEL_9x", "CHECK_INTERVAL", "TYPE", "URL", "HOST"]
    ),
    st.text(alphabet=string.ascii_uppercase + "_", max_size=8),
)
_env_dependencies = st.one_of(
    st.sampled_from(["DB", "CACHE", "DB_MAIN", "API", "_", "9", "DB__X"]),
    st.text(alphabet=string.ascii_uppercase + string.digits + "_", min_size=1, max_size=6),
)
env_values = st.one_of(
    any_url,
    st.sampled_from(TRICKY),
    st.text(max_size=16),
    st.integers(-5, 70000).map(str),
    values.map(lambda v: json.dumps(v, default=str)),
)
environments = st.builds(
    lambda base, extra: {**base, **extra},
    st.fixed_dictionaries(
        {},
        optional={
            "DEPHEALTH_NAME": st.one_of(st.just("svc"), names),
            "DEPHEALTH_GROUP": st.one_of(st.just("team"), names),
            **{
                f"DEPHEALTH_{flat}": env_values
                for flat in GLOBAL_KEYS
                if flat not in ("NAME", "GROUP")
            },
        },
    ),
    st.dictionaries(
        st.one_of(
            st.builds(lambda d, f: f"DEPHEALTH_{d}_{f}", _env_dependencies, _env_fields),
            st.text(max_size=12).map(lambda t: "DEPHEALTH_" + t),
        ),
        env_values,
        max_size=6,
    ),
)
