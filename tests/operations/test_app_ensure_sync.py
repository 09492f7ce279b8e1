"""The app asks once per function body whether a hook or view is a coroutine (catalogue.App.ensure_sync)."""

from __future__ import annotations

import functools

import pytest

from catalogue import App


@pytest.fixture
def app():
    app = App(__name__)
    app.async_to_sync = lambda func: ("wrapped", func)  # what Flask would run the coroutine with
    return app


def plain(response):
    return response


async def coroutine(response):
    return response


def test_a_plain_function_is_returned_as_it_is_and_a_coroutine_is_wrapped(app):
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(coroutine) == ("wrapped", coroutine)
    # asked again: the same answers from the kept verdicts
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(coroutine) == ("wrapped", coroutine)


def test_the_verdict_is_kept_per_code_so_closures_made_per_request_do_not_grow_it(app):
    def make():
        def after(response):
            return response

        return after

    closures = [make() for _ in range(50)]
    assert all(app.ensure_sync(closure) is closure for closure in closures)
    assert len(app._coroutine_codes) == 1


def test_bound_methods_and_callables_without_code_are_answered_like_flask(app):
    class Hooks:
        def sync(self, response):
            return response

        async def later(self, response):
            return response

    hooks = Hooks()
    assert app.ensure_sync(hooks.sync) == hooks.sync
    assert app.ensure_sync(hooks.later) == ("wrapped", hooks.later)
    partial = functools.partial(coroutine)
    assert app.ensure_sync(partial) == ("wrapped", partial)  # no __code__: inspect unwraps the partial
    assert app.ensure_sync(functools.partial(plain)).func is plain
