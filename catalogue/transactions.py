"""One unit of work per use case: a service commits when it succeeds and rolls itself back when it refuses."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from catalogue.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_DEPTH_KEY = "use_case_depth"
_AFTER_COMMIT_KEY = "use_case_after_commit"
_KEEP_LOADED_KEY = "use_case_keep_loaded"
log = logging.getLogger(__name__)


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
        if depth == 0:
            info[_AFTER_COMMIT_KEY] = []
            info.pop(_KEEP_LOADED_KEY, None)
        try:
            result = function(*args, **kwargs)
            if depth == 0:
                _commit(info.pop(_KEEP_LOADED_KEY, False))
        except BaseException:
            if depth == 0:
                info.pop(_AFTER_COMMIT_KEY, None)  # a refused use case announces nothing
                info.pop(_KEEP_LOADED_KEY, None)
                db.session.rollback()
            raise
        finally:
            info[_DEPTH_KEY] = depth
        if depth == 0:
            _run_after_commit(info.pop(_AFTER_COMMIT_KEY, []))
        return result

    return run


def _commit(keep_loaded: bool) -> None:
    session = db.session()
    if not keep_loaded:
        session.commit()
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def keep_loaded() -> None:
    """Commit the current use case without expiring what its session holds (this commit only).

    For a use case whose caller goes on with the objects it just wrote and would otherwise read every
    one of them again, statement by statement, in a transaction of its own (the order checkout
    answers with). What stays loaded is what this transaction committed: exact for the rows it wrote
    itself; a row another transaction changes afterwards is seen as it was until the next commit
    expires it, or the request ends (the session is closed). The next use case's commit expires
    everything again as usual.
    """
    if not db.session.info.get(_DEPTH_KEY):
        raise RuntimeError("keep_loaded() is only for code running inside a @use_case.")
    db.session.info[_KEEP_LOADED_KEY] = True


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current use case has committed; never if it is refused.

    For what must not happen unless the change is kept (emails), and must not hold a
    transaction open while it waits on the network. A failing callback is logged: the
    use case is committed and stays so.
    """
    pending = db.session.info.get(_AFTER_COMMIT_KEY)
    if not db.session.info.get(_DEPTH_KEY) or pending is None:
        raise RuntimeError("after_commit() is only for code running inside a @use_case.")
    pending.append(callback)


def in_use_case() -> bool:
    """Whether code runs inside a @use_case (so an after-commit action would be kept for its commit)."""
    return bool(db.session.info.get(_DEPTH_KEY)) and db.session.info.get(_AFTER_COMMIT_KEY) is not None


def after_this_use_case(callback: Callable[[], object]) -> bool:
    """Run `callback` once the use case being committed has returned its connection; False outside one.

    For a session hook that fires inside the commit (its connection still checked out): work that
    needs a connection of its own waits until the use case let go of the first one.
    """
    pending = db.session.info.get(_AFTER_COMMIT_KEY)
    if pending is None:
        return False
    pending.append(callback)
    return True


def calls_out(function: Callable[P, R]) -> Callable[P, R]:
    """Mark a service that talks to another system: it must not run inside an open use case.

    Such a service commits its own short use cases around the outside call, so no row
    stays locked while the network answers (or does not).
    """

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if db.session.info.get(_DEPTH_KEY):
            raise RuntimeError(f"{function.__qualname__} calls another system; call it outside any use case.")
        return function(*args, **kwargs)

    return run


def _run_after_commit(callbacks: list[Callable[[], object]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the change is committed; a failed announcement must not undo or fail it
            log.exception("An after-commit action failed")
