"""One unit of work per use case: a service commits when it succeeds and rolls itself back when it refuses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from catalogue.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_DEPTH_KEY = "use_case_depth"


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` as one transaction: commit on return, roll back on any exception.

    A use case called from inside another joins the outer one, so the outermost
    decides; views and CLI commands then never commit or roll back themselves.
    """

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        info = db.session.info
        depth = info.get(_DEPTH_KEY, 0)
        info[_DEPTH_KEY] = depth + 1
        try:
            result = function(*args, **kwargs)
            if depth == 0:
                db.session.commit()
            return result
        except BaseException:
            if depth == 0:
                db.session.rollback()
            raise
        finally:
            info[_DEPTH_KEY] = depth

    return run
