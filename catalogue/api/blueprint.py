"""The API's flask-smorest Blueprint: JSON bodies only, and the error answers of each route documented.

Every route documents the refusals it can give (the contract's error body), so the
OpenAPI document says what a client must handle; `refuses` adds them, and the auth
decorators (catalogue.api.auth) add 401/403 and the bearer security themselves.
"""

from __future__ import annotations

from copy import deepcopy
from http import HTTPStatus

from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema
from webargs.flaskparser import FlaskParser, abort, is_json_request

from catalogue import json_input
from catalogue.text import xml_safe

BEARER_SCHEME = "bearerAuth"

REFUSALS = {
    401: "No valid API token: send `Authorization: Bearer <token>`.",
    403: "The token's scopes (or its producer) do not allow this.",
    404: "No such thing, or not visible to this caller.",
    409: "The request conflicts with the current state; nothing was changed.",
    412: "`If-Match` does not match the product's current ETag; nothing was written.",
    415: "The body is not JSON: send it with `Content-Type: application/json`.",
    422: "Invalid input; `errors` names the fields.",
    428: (
        "`If-Match` is missing: GET the product, send its `ETag` back as `If-Match` "
        "(or `If-Match: *` to overwrite whatever is there)."
    ),
}


class JsonBodyParser(FlaskParser):
    """webargs' parser, but a body that is not JSON is a 415 instead of being read as no body at all, and JSON is
    read by catalogue.json_input (hostile nesting and integers of absurd length are a 400, never a 500). An integer
    merely past its field's bound is the field's 422, as every integer an API schema reads is bounded. A lone
    surrogate is valid JSON syntax whose value is not text: like any text XML cannot carry, a 422 naming the field."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap, req) -> Schema:
        """One instance per schema class, made on first use: webargs makes the class's schema, and each of its
        nested schemas, again on every request. A schema keeps nothing between loads (`unknown` and the rest are
        passed to each load), so one instance serves every request and thread."""
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        if req.get_data(cache=True) and not is_json_request(req):
            abort(
                415,
                message="Send the body as JSON, with Content-Type: application/json.",
                messages={"Content-Type": [f"Must be application/json, not {req.mimetype or 'missing'}."]},
            )
        if not is_json_request(req):
            body = super()._raw_load_json(req)
        else:
            try:
                body = json_input.loads(req.get_data(cache=True), schema_bounded=True)
            except json_input.LoneSurrogate as error:
                _unstorable(error.path, "json")
            except json_input.UnreadableJson as error:
                abort(400, message=f"The body is not JSON the API reads: {error}", messages={"json": [str(error)]})
        _refuse_unstorable(body, "", "json")
        return body

    def load_querystring(self, req, schema):
        for name, value in req.args.items(multi=True):
            _refuse_unstorable(value, name, "query")
        return super().load_querystring(req, schema)


def _refuse_unstorable(value, path: str, location: str) -> None:
    """422 naming the field when any text of the body (key or value) holds what XML cannot carry.

    The one place every API argument passes: stored, such text broke the Google feed, the XLSX
    exports and e-invoicing later (catalogue.text.XML_UNSAFE).
    """
    if isinstance(value, str):
        if not xml_safe(value):
            _unstorable(path, location)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_unstorable(key, path, location)
            _refuse_unstorable(item, f"{path}.{key}" if path else str(key), location)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_unstorable(item, f"{path}[{index}]", location)


def _unstorable(path: str, location: str):
    name = path or "_body"
    said = "Must not contain control characters, U+FFFE/U+FFFF or lone surrogates."
    abort(422, message=f"Invalid {name}: {said}", messages={location: {name: [said]}})


def refuses(*statuses: int, described: dict[int, str] | None = None):
    """Decorator: document these error answers of a route (descriptions from REFUSALS unless `described`)."""
    descriptions = {**REFUSALS, **(described or {})}

    def decorator(view):
        apidoc = view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        responses = apidoc.setdefault("response", {}).setdefault("responses", {})
        for status in statuses:
            description = descriptions.get(status) or HTTPStatus(status).phrase
            answer = {"schema": ErrorSchema, "description": description, "content_type": None}
            responses.setdefault(status, []).append(answer)
        return view

    return decorator


def secured(view, optional: bool = False):
    """Document that a route takes the bearer token (`optional`: anonymous callers too)."""
    apidoc = view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    security = [{BEARER_SCHEME: []}]
    apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), "security": [{}, *security] if optional else security}
    return view


class ApiBlueprint(Blueprint):
    """A flask-smorest Blueprint whose JSON arguments refuse non-JSON bodies (and document it)."""

    ARGUMENTS_PARSER = JsonBodyParser()

    def arguments(self, schema, *, location="json", **kwargs):
        """flask-smorest's `arguments`; a JSON body also documents the 415 a non-JSON body gets."""
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorator
        return lambda view: refuses(415)(decorator(view))


def some_change(values: dict) -> dict:
    """A PATCH body that changes nothing (`{}`, or no body) is refused (422), never accepted as a silent no-op."""
    if not values:
        from catalogue.errors import InvalidInput

        raise InvalidInput("Send at least one field to change.", {"_schema": ["The body names no field to change."]})
    return values
