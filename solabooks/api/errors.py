"""One error shape for every API answer that is not a success:

    {"error": {"code": "invalid", "message": "…", "fields": {"lines.0.quantity": ["…"]}}}

`fields` is always present (empty unless a 400 names fields), so clients can rely on it.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from solabooks.core.errors import DomainError

from .authentication import INVALID_CREDENTIALS


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's current state does not allow this."
    default_code = "conflict"


# DomainError codes that answer 409, not 400: the request is well formed, but the objects
# it names are not in a state that allows it (a locked time entry, no time left to invoice).
CONFLICT_CODES = frozenset({"locked", "nothing_to_invoice", "nothing_to_send"})

# Missing, wrong and revoked credentials: one code, one message.
UNAUTHENTICATED = (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as flat dotted paths: {"lines": [{}, {"quantity": [...]}]} becomes
    {"lines.1.quantity": [...]}, which a client can map straight onto its form."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(flatten_fields(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and detail and all(isinstance(d, dict | list) for d in detail):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(flatten_fields(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(m) for m in messages]}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _normalize(exc: Exception) -> Exception:
    if isinstance(exc, DomainError) and exc.code in CONFLICT_CODES:
        return Conflict(exc.message, code=exc.code)
    if isinstance(exc, DomainError):
        # A rule a user broke (ARCHITECTURE: DomainError becomes an API 400).
        return exceptions.ValidationError({"non_field_errors": [exc.message]}, code=exc.code)
    if isinstance(exc, DjangoValidationError):
        # Model validation reached by input the serializers let through: still the
        # caller's mistake, never a 500.
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return exceptions.ValidationError(detail)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    original = exc
    exc = _normalize(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handling (and error reporting) takes over
    if isinstance(exc, UNAUTHENTICATED):
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        response.data = error_body("not_authenticated", INVALID_CREDENTIALS)
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        if isinstance(original, DomainError):
            code, fields, message = original.code, {}, original.message
        else:
            code = "invalid"
            general = fields.pop("non_field_errors", None)
            message = general[0] if general else "Some fields are not valid."
        response.data = error_body(code, message, fields)
        return response
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    response.data = error_body(str(code), str(detail))
    return response


@csrf_exempt  # a 404 whatever the method; Django's CSRF page would be HTML
def json_not_found(request, *args, **kwargs) -> JsonResponse:
    """Any path under /finance/api/ that names nothing: a JSON 404, not an HTML page."""
    return JsonResponse(error_body("not_found", "Not found."), status=404)
