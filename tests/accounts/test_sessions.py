"""The session cookie: Flask's signatures and checks, with the serializer kept per key set (catalogue/sessions.py)."""

from flask import session

from catalogue import create_app


def _app(secret: str, fallbacks: list[str] | None = None):
    app = create_app(
        {"SECRET_KEY": secret, "SECRET_KEY_FALLBACKS": fallbacks or [], "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )

    @app.get("/_set")
    def _set():
        session["cart"] = {"7": 2}
        return "set"

    @app.get("/_get")
    def _get():
        return str(session.get("cart", {}).get("7", 0))

    return app


def _cookie(app) -> str:
    client = app.test_client()
    client.get("/_set")
    return client.get_cookie("session").value


def test_a_session_set_in_one_request_is_read_in_the_next():
    signed = _app("key-a")
    client = signed.test_client()
    client.get("/_set")
    assert client.get("/_get").text == "2"
    assert signed.session_interface.get_signing_serializer(signed) is signed.session_interface.get_signing_serializer(
        signed
    )


def test_a_cookie_signed_with_another_key_is_an_empty_session():
    cookie = _cookie(_app("key-a"))
    other = _app("key-b").test_client()
    other.set_cookie("session", cookie)
    assert other.get("/_get").text == "0"


def test_a_rotated_key_still_reads_cookies_signed_with_the_old_one():
    cookie = _cookie(_app("key-a"))
    rotated = _app("key-b", fallbacks=["key-a"]).test_client()
    rotated.set_cookie("session", cookie)
    assert rotated.get("/_get").text == "2"


def test_changing_the_key_of_a_running_app_signs_with_the_new_key():
    app = _app("key-a")
    first = _cookie(app)
    app.secret_key = "key-b"
    second = _cookie(app)
    reader = _app("key-b").test_client()
    reader.set_cookie("session", first)
    assert reader.get("/_get").text == "0"  # the old key's cookie is not the new key's
    reader.set_cookie("session", second)
    assert reader.get("/_get").text == "2"
