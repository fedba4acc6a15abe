"""The base of every staff API view: who is calling, for which business, and the limits."""

import functools
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from solabooks.activity.models import ActorType, Verb
from solabooks.activity.services import Actor, log_access

from . import idempotency
from .authentication import APIKeyAuthentication, key_label, spend_equal_effort
from .errors import PayloadTooLarge

# JSON bodies of this API are small: a 200-line document is well under 200 KB. Checked
# before anything reads the body, so a huge upload is refused without being buffered.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNSAFE_HANDLERS = tuple(method.lower() for method in sorted(UNSAFE_METHODS))


def max_body_bytes() -> int:
    return getattr(settings, "SOLABOOKS_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)


_PLAIN_FILTERS: dict[type, frozenset[str] | None] = {}


def _takes_any(serializer_class, params) -> bool:
    """Whether validating `params` with this (flat) serializer can give anything but {}."""
    names = _PLAIN_FILTERS.get(serializer_class, False)
    if names is False:
        fields = serializer_class().fields
        # With a default or a nested field the serializer has its say even on no input.
        plain = all(
            field.default is empty and not isinstance(field, BaseSerializer)
            for field in fields.values()
        )
        names = _PLAIN_FILTERS[serializer_class] = frozenset(fields) if plain else None
    return names is None or any(name in params for name in names)


class AlwaysJSON(BaseContentNegotiation):
    """The API speaks JSON whatever the Accept header says (no 406 for `Accept: text/html`)."""

    def select_parser(self, request: Request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request: Request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _honours_idempotency_key(handler):
    """Runs an unsafe handler through ApiView.run_keyed (the Idempotency-Key flow)."""

    @functools.wraps(handler)  # keeps the handler's @extend_schema
    def keyed_handler(view: "ApiView", request: Request, *args: Any, **kwargs: Any):
        return view.run_keyed(handler, request, *args, **kwargs)

    keyed_handler.honours_idempotency_key = True
    return keyed_handler


class ApiView(GenericAPIView):
    # (A comment, not a docstring: drf-spectacular would copy a docstring into every
    # operation's description.)
    # Sets `request.api_organization` (the key's or the session's business) and
    # `request.api_key` once authentication succeeded, and gives views `self.organization`
    # and `self.actor()`. Every change made with an API key is recorded as an API call in
    # the business's activity, besides the rows the service itself writes.
    # Every unsafe handler (post, put, patch, delete) of every subclass, present or future,
    # honours the Idempotency-Key header (idempotency.py): __init_subclass__ wraps it.

    content_negotiation_class = AlwaysJSON
    # The claim this request holds on its Idempotency-Key, and whether the answer is a replay.
    _keyed: "idempotency.KeyedRequest | None" = None
    _replayed = False
    # Django's request, which DRF's Request wraps (set by initialize_request).
    http_request: HttpRequest | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in UNSAFE_HANDLERS:
            # Through the MRO: a handler a mixin brings is wrapped too.
            handler = getattr(cls, name, None)
            if handler is not None and not getattr(handler, "honours_idempotency_key", False):
                setattr(cls, name, _honours_idempotency_key(handler))

    def run_keyed(self, handler, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The handler, with the Idempotency-Key flow when the header is there. Runs after
        initial(): authentication, permissions, the rate limit and the body size come first."""
        keyed = idempotency.claim(request, organization=self.organization)
        if keyed is None:
            return handler(self, request, *args, **kwargs)
        if isinstance(keyed, HttpResponseBase):
            self._replayed = True
            return keyed
        self._keyed = keyed
        # The work and its saved answer commit together: a crash in between leaves neither,
        # and an error rolls the work back before the key is released for a retry.
        with transaction.atomic():
            response = handler(self, request, *args, **kwargs)
            if idempotency.is_final(response.status_code):
                # Rendered now, to be saved in this transaction; rendering is done once.
                super().finalize_response(request, response, *args, **kwargs)
                if hasattr(response, "render"):
                    response.render()
                if not keyed.save(response):
                    # A retry took the key over after our lease ran out; it does the work.
                    raise idempotency.IdempotencyKeyInUse()
        return response

    def handle_exception(self, exc: Exception):
        try:
            return super().handle_exception(exc)
        except BaseException:
            # A 500: the work was rolled back, so a retry with the key may do it.
            if self._keyed is not None:
                self._keyed.release()
            raise

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Who the call acts for is kept on Django's request: every DRF Request made from it
        # reads its attributes (clone_request's for an OPTIONS answer too).
        request.api_organization = None
        request.api_key = None
        self.http_request = request
        return super().initialize_request(request, *args, **kwargs)

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        authenticator = request.successful_authenticator
        if isinstance(authenticator, APIKeyAuthentication):
            api_key = request.auth
            self.http_request.api_key = api_key
            self.http_request.api_organization = api_key.organization
        elif authenticator is not None:
            # A staff session: the business it is switched to (CurrentOrganizationMiddleware
            # sets it, through one of the user's own memberships).
            self.http_request.api_organization = getattr(request, "organization", None)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_body_bytes():
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)

    def permission_denied(self, request: Request, message=None, code=None) -> None:
        if request.authenticators and not request.successful_authenticator:
            # No credentials at all: do the work a wrong key costs before the same 401.
            spend_equal_effort()
        super().permission_denied(request, message=message, code=code)

    @property
    def organization(self):
        return self.request.api_organization

    def actor(self) -> Actor:
        api_key = self.http_request.api_key
        if api_key is not None:
            return Actor.for_request(
                self.http_request, type=ActorType.API_KEY, label=key_label(api_key)
            )
        return Actor.staff(self.http_request)

    def serializer_context(self) -> dict[str, Any]:
        return {"organization": self.organization, "request": self.request}

    def parse(self, serializer_class, data=None, **kwargs: Any) -> dict[str, Any]:
        """Validated input (400 with field errors otherwise)."""
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.serializer_context(),
            **kwargs,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def parse_query(self, serializer_class) -> dict[str, Any]:
        """Validated query parameters. Each must be given once, and is read as given: an
        empty value is not the same as leaving the parameter out."""
        params = self.request.query_params
        repeated = sorted(key for key in params if len(params.getlist(key)) > 1)
        if repeated:
            raise ValidationError({key: [f"Give {key} once."] for key in repeated})
        if not _takes_any(serializer_class, params):
            # None of its fields given (only paging, say) and none has a default: the
            # serializer would validate to {}.
            return {}
        return self.parse(serializer_class, data={key: params[key] for key in params})

    def paginated(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def finalize_response(self, request: Request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._keyed is not None:
            self._keyed.settle(response)
        if self._replayed:
            return response  # the first answer's Activity is all there is
        # Set once a key authenticated the call; reading request.auth here could re-run
        # authentication on a request that failed before it.
        api_key = getattr(self.http_request, "api_key", None)
        if api_key is not None and request.method in UNSAFE_METHODS and response.status_code < 300:
            log_access(
                organization_id=api_key.organization_id,
                verb=Verb.API_CALL,
                actor=self.actor(),
                details={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                },
            )
        return response
