"""The app's own routes win: which health views stand aside, and the one warning about each.

An adapter knows how to ask its framework whether the app answers a path (Starlette's router,
Flask's URL map, Django's URL resolver); what to do about it is decided here, once for all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

logger = logging.getLogger("dephealth")


def views_the_app_answers(
    paths: Mapping[str, str], app_answers: Callable[[str], bool]
) -> dict[str, str]:
    """The views (name -> path) whose path the app already answers; one WARNING for each.

    Args:
        paths: the enabled views, view name -> path.
        app_answers: tells whether the app itself answers ``GET path``.
    """
    shadowed = {view: path for view, path in paths.items() if app_answers(path)}
    for view, path in shadowed.items():
        logger.warning(
            "dephealth: the app already answers GET %s, so the %s view is not served there; "
            'to serve it, move it with prefix= (e.g. prefix="/dephealth") or '
            'paths={"%s": "/another/path"}',
            path,
            view,
            view,
        )
    return shadowed
