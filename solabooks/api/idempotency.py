"""`Idempotency-Key` for the staff API's writes (Stripe's behaviour; IETF draft
"The Idempotency-Key HTTP Header Field").

A client that sends a write again after a timeout must not record the payment or email the
customer twice. With the header, every unsafe method (POST, PUT, PATCH, DELETE) of every
`ApiView` runs like this (base.py wires it in, after authentication, permissions, the rate
limit and the body-size check, so a caller who may not make the request never gets near a
stored answer):

1. The key is checked: 1-255 printable ASCII characters, no space at either end (HTTP drops
   those). Otherwise 400, and nothing is read or written.
2. The request's fingerprint: SHA-256 of the method, the path with its query, the
   Content-Type and the body. A UTF-8 JSON body counts as canonical JSON (keys sorted,
   no whitespace, strings unescaped, numbers as written), so whitespace and key order do
   not make another request; any other body counts byte for byte.
3. The key is claimed for the business (services.claim_idempotency_key), in its own
   committed transaction: the unique (business, key) constraint decides a race. A key held
   by a running request answers 409 with Retry-After; a key used for another fingerprint,
   422; a key already answered, that answer again with `Idempotent-Replayed: true`, and
   nothing is done (not even the API's own "API call" Activity row).
4. The view's work and the saved answer commit in one transaction: either both are there
   or neither is. An answer whose claim was lost (see the lease below) rolls its work back
   and answers 409.
5. Which answers are kept: everything under 500 except 401, 403, 409 and 429 (they say
   nothing final about the request). A 4xx the view raised (a 400 for a bad field, a 404)
   is saved after its rolled-back transaction. A 5xx or an unexpected error releases the
   key, and its work was rolled back, so a retry does the work.

A claim is a lease (services.CLAIM_LEASE, a minute, longer than a worker may live): a
worker killed mid-request leaves its claim, with its work rolled back by the database; once
the lease has run out, a retry with the same request takes the key over. Answers are kept
for 24 hours (services.KEY_LIFETIME); an expired key behaves as new and
`manage.py purge_idempotency_keys` deletes expired rows daily.

Keys are per business, not per API key or staff member: all of a business's keys and
sessions may read everything the business has, and share one key space (like a Stripe
account). Another business's identical key is another row, never read.
"""

import hashlib
import json
import logging
import re
from decimal import Decimal
from typing import Any

from django.db import DatabaseError
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.http.response import HttpResponseBase
from django.utils.http import parse_header_parameters
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from solabooks.tenancy.models import Organization

from .services import (
    Outcome,
    claim_idempotency_key,
    release_idempotency_key,
    save_idempotent_response,
)

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII (space to tilde), starting and ending with a visible character.
KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
_VALID_KEY = re.compile(KEY_PATTERN)
_META_NAME = "HTTP_IDEMPOTENCY_KEY"
# The answer's headers a replay repeats (the rest are the server's, set on every answer).
KEPT_HEADERS = ("Content-Type", "Location")
# Answers that say nothing final about the request: not kept, so a retry runs it.
NOT_FINAL = frozenset({401, 403, 409, 429})
RETRY_AFTER_SECONDS = 1


class InvalidIdempotencyKey(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = (
        f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
        "not starting or ending with a space (a UUID is a good key)."
    )
    default_code = "invalid_idempotency_key"


class IdempotencyKeyInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        f"Another request with this {HEADER} is still being processed. Retry after the "
        "Retry-After seconds to get its answer."
    )
    default_code = "idempotency_key_in_use"
    wait = RETRY_AFTER_SECONDS  # DRF turns it into the Retry-After header


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        f"This {HEADER} was used for a different request (method, path or body) in the "
        "last 24 hours. Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


def is_final(status_code: int) -> bool:
    return status_code < 500 and status_code not in NOT_FINAL


def requested_key(request: Request) -> str | None:
    """The request's key, None without the header; 400 for a key that is not valid."""
    key = request.META.get(_META_NAME)
    if key is None:
        return None
    if len(key) > MAX_KEY_LENGTH or not _VALID_KEY.fullmatch(key):
        raise InvalidIdempotencyKey()
    return key


def request_fingerprint(request: Request) -> str:
    # META, get_full_path() and body are Django's request's own (DRF's Request reads them
    # from it).
    content_type = request.META.get("CONTENT_TYPE", "").strip().lower()
    digest = hashlib.sha256()
    digest.update(json.dumps([request.method, request.get_full_path(), content_type]).encode())
    digest.update(b"\n")
    digest.update(_canonical_body(request, content_type))
    return digest.hexdigest()


def _canonical_body(request: Request, content_type: str) -> bytes:
    try:
        raw = request.body
    except RawPostDataException:
        # A multipart form the session's CSRF check already read: this JSON-only API
        # answers it 415, whatever it holds.
        return b"unread:"
    charset = parse_header_parameters(content_type)[1].get("charset", "utf-8").lower()
    if raw and charset in ("utf-8", "utf8"):
        try:
            value = json.loads(raw.decode(), parse_float=Decimal, parse_constant=_no_constants)
            return b"json:" + _canonical_json(value).encode()
        except (ValueError, RecursionError):
            pass  # not JSON the API would read: the bytes decide
    return b"raw:" + raw


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # the API's parser refuses NaN and Infinity too


def _canonical_json(value: Any) -> str:
    """One spelling per JSON value as the API reads it (a repeated object key keeps its
    last value there too). Numbers keep their digits, so 1.5 and 1.50 stay two requests:
    a canonical form may only ever join requests that mean the same."""
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{json.dumps(k)}:{_canonical_json(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


def replay(record) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body),
        status=record.status_code,
        content_type=record.headers.get("Content-Type"),
    )
    for name in KEPT_HEADERS[1:]:
        if name in record.headers:
            response[name] = record.headers[name]
    response[REPLAYED_HEADER] = "true"
    return response


class KeyedRequest:
    """A request holding the claim on its key, until its answer is saved or it lets go."""

    def __init__(self, *, organization: Organization, key: str, token: str) -> None:
        self.organization = organization
        self.key = key
        self.token = token
        self.saved = False

    def save(self, response: HttpResponseBase) -> bool:
        """Keep the (rendered) answer; False when the claim was lost."""
        self.saved = save_idempotent_response(
            organization=self.organization,
            key=self.key,
            token=self.token,
            status_code=response.status_code,
            headers={name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
            body=response.content,
        )
        return self.saved

    def settle(self, response: HttpResponseBase) -> None:
        """After the view answered: keep a final answer not saved yet (an error answer, made
        after the work's transaction), or release the key."""
        if self.saved:
            return
        if not is_final(response.status_code) or response.streaming:
            self.release()
            return
        if hasattr(response, "render"):
            response.render()
        try:
            self.save(response)
        except DatabaseError:
            # The answer still goes out; the claim frees itself when its lease ends.
            logger.exception("Could not keep the answer for an idempotency key.")

    def release(self) -> None:
        try:
            release_idempotency_key(organization=self.organization, key=self.key, token=self.token)
        except DatabaseError:
            logger.exception("Could not release an idempotency key; its lease will.")


def claim(request: Request, *, organization: Organization) -> KeyedRequest | HttpResponse | None:
    """None without the header (and no query); a stored answer to send again; or the claim
    this request now holds. 400 / 409 / 422 are raised as API errors."""
    key = requested_key(request)
    if key is None:
        return None
    outcome = claim_idempotency_key(
        organization=organization, key=key, fingerprint=request_fingerprint(request)
    )
    if outcome.outcome is Outcome.CLAIMED:
        return KeyedRequest(organization=organization, key=key, token=outcome.token)
    if outcome.outcome is Outcome.REPLAY:
        return replay(outcome.record)
    if outcome.outcome is Outcome.MISMATCH:
        raise IdempotencyKeyReused()
    raise IdempotencyKeyInUse()
