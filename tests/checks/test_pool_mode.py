"""How a pool-mode check spends its timeout, and the error for an unsupported pool or client."""

from __future__ import annotations

import pytest

from dephealth_core import ConfigError, redis_check
from dephealth_core.checks._pool_mode import TimeoutShare


@pytest.mark.parametrize("total", [0.2, 1.0, 2.0, 5.0, 30.0])
def test_the_borrow_and_the_probe_fit_in_the_timeout(total: float) -> None:
    """Borrow plus probe never pass the check's timeout; the borrow gets most of it."""
    share = TimeoutShare(total)
    assert share.borrow >= total / 2
    assert share.borrow + share.probe <= total + 1e-9 or share.probe == 0.05
    assert share.before_probe == pytest.approx(total - share.probe)
    assert share.borrow <= share.before_probe


def test_the_margin_is_at_most_half_a_second() -> None:
    """A long timeout keeps all but half a second for the borrow."""
    assert TimeoutShare(30.0).borrow == pytest.approx(29.5)
    assert TimeoutShare(30.0).probe == pytest.approx(0.25)
    assert TimeoutShare(1.0).borrow == pytest.approx(0.75)


def test_an_unsupported_client_names_its_type_and_the_supported_ones() -> None:
    """One message shape for every kind's pool or client."""
    with pytest.raises(ConfigError) as caught:
        redis_check("cache", client=object(), critical=True).validate()
    message = str(caught.value)
    assert "unsupported client type builtins.object" in message
    assert "redis.Redis" in message
    assert caught.value.field == "client"
