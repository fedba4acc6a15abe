"""OpenAPI pieces: security schemes, the documented error answers, and the generated schema.

The schema is generated from the code (drf-spectacular) once per process: it depends only
on the code, so every request after the first is served from memory.
"""

import functools
import json
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiResponse

from . import idempotency
from .serializers import ErrorSerializer

# The API reference's sections (OpenAPI tags), one per resource module in api/views/.
CUSTOMERS, DOCUMENTS, PAYMENTS, LINKS, PORTAL, ACTIVITY = (
    "Customers",
    "Documents",
    "Payments",
    "Secure links",
    "Portal access",
    "Activity",
)

ERROR_DESCRIPTIONS = {
    400: "The input is not valid, or a rule of the product refused it (see `error.message`; "
    "`error.fields` names each invalid field).",
    401: "No API key or session, or the key is unknown or revoked (always the same answer).",
    403: "The signed-in user has no business, or the session's CSRF token is missing.",
    404: "No such object in your business (objects of other businesses are never found).",
    413: "The request body is larger than the limit (1 MiB).",
    415: "The request body is not JSON (`Content-Type: application/json`).",
    409: "Another request with this `Idempotency-Key` is still being processed; retry "
    "after the `Retry-After` seconds to get its answer.",
    422: "This `Idempotency-Key` was used for a different request (method, path, "
    "Content-Type or body) in the last 24 hours; use a new key for a new request.",
    429: "Too many requests for this key; retry after the `Retry-After` seconds.",
}
ERROR_REF = "#/components/schemas/Error"
# Every endpoint can answer these.
BASE_ERRORS = (401, 403, 429)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers an operation can give, all with the same {"error": …} body."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in sorted({*BASE_ERRORS, *codes})
    }


# A read of one object (or of a list under one object).
READ_ERRORS = (404,)
# A paged list: a bad page or page_size is a 400, a page past the last a 404.
LIST_ERRORS = (400, 404)
# A request with a JSON body.
WRITE_ERRORS = (400, 413, 415)


ERROR_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "description": 'Always `Bearer realm="api"`.',
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds until the key's budget is renewed.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def document_error_headers(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the headers every 401 and 429 answer carries."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for code, headers in ERROR_HEADERS.items():
                if code in operation.get("responses", {}):
                    operation["responses"][code]["headers"] = headers
    return result


UNSAFE_METHODS = ("post", "put", "patch", "delete")
IDEMPOTENCY_KEY_PARAMETER = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the first answer (status and body) is kept for 24 "
    "hours for this key in your business, and a retry of the same request with the same "
    "key gets it again (`Idempotent-Replayed: true`) without doing anything twice. A new "
    "key (a UUID, say) for each new request.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": idempotency.KEY_PATTERN,
    },
}
IDEMPOTENCY_ERRORS = {
    "400": "The `Idempotency-Key` header is not 1-255 printable ASCII characters (with no "
    "space at either end).",
    "409": ERROR_DESCRIPTIONS[409],
    "422": ERROR_DESCRIPTIONS[422],
}
# What an operation's own 400, 409 or 422 also means, for the key.
ALSO_INVALID_KEY = "Also when the `Idempotency-Key` header is not valid."
ALSO_BECAUSE_OF_KEY = {
    "400": ALSO_INVALID_KEY,
    "409": "Also when another request with this `Idempotency-Key` is still being processed: "
    "that answer has `Retry-After` (retry after it to get the first request's answer).",
    "422": "Also when this `Idempotency-Key` was used for a different request.",
}
REPLAYED_HEADER = {
    idempotency.REPLAYED_HEADER: {
        "description": "`true` when this is the kept answer to an earlier request with the "
        "same `Idempotency-Key` (nothing was done again).",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
RETRY_AFTER_409 = {
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
RETRY_AFTER_409_OPTIONAL = {
    "Retry-After": {
        **RETRY_AFTER_409["Retry-After"],
        "description": "Only when another request with this `Idempotency-Key` is still being "
        "processed: seconds to wait before sending the request again.",
        "required": False,
    }
}


def _replayable(code: str) -> bool:
    """Whether an answer with this status may be a kept one, sent again."""
    return code.isdigit() and idempotency.is_final(int(code)) and code not in ("413", "422")


def document_idempotency_key(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every unsafe operation takes the optional
    Idempotency-Key header, can answer 400 / 409 / 422 for it, and may be a replay."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in UNSAFE_METHODS:
                continue
            operation["parameters"] = [
                *operation.get("parameters", []),
                IDEMPOTENCY_KEY_PARAMETER,
            ]
            responses = operation["responses"]
            # The operation's own answers may be kept ones; those added below never are.
            for code, response in responses.items():
                if _replayable(code):
                    response["headers"] = {**response.get("headers", {}), **REPLAYED_HEADER}
            # An operation with a 409 of its own (a locked time entry, say) answers that one
            # without Retry-After: the header is required only of the key's 409.
            own_409 = "409" in responses
            for code, description in IDEMPOTENCY_ERRORS.items():
                if code in responses:
                    responses[code]["description"] += f" {ALSO_BECAUSE_OF_KEY[code]}"
                else:
                    responses[code] = {
                        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                        "description": description,
                    }
            responses["409"]["headers"] = RETRY_AFTER_409_OPTIONAL if own_409 else RETRY_AFTER_409
            operation["responses"] = dict(sorted(responses.items()))
    return result


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "solabooks.api.authentication.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API key (created by the owner under Settings → "
            "API keys): `Authorization: Bearer sb_…`.",
        }


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "solabooks.api.authentication.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema) -> dict[str, Any]:
        from django.conf import settings

        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "A signed-in staff session; unsafe methods also need the CSRF "
            "token in `X-CSRFToken`.",
        }


@functools.cache
def openapi_schema() -> dict[str, Any]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # Round-trip through JSON: plain types only (no lazy strings), as clients will see it.
    return json.loads(json.dumps(schema, default=str))


@functools.cache
def openapi_schema_json() -> bytes:
    return json.dumps(openapi_schema(), indent=1).encode()
