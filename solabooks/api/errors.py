from rest_framework.views import exception_handler as drf_exception_handler

from solabooks.core.errors import DomainError


def exception_handler(exc, context):
    """Every error answers {"error": {"code", "message", "fields"?}}."""
    if isinstance(exc, DomainError):
        from rest_framework.exceptions import ValidationError

        exc = ValidationError({"non_field_errors": [exc.message]}, code=exc.code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    body = {"code": getattr(exc, "default_code", "error"), "message": ""}
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        body["message"] = str(data["detail"])
    else:
        body["message"] = "The request has invalid fields."
        body["fields"] = data
    response.data = {"error": body}
    return response
