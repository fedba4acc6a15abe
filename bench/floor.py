"""The floor under `POST /finance/api/v1/documents/<id>/send`: the least any design of it
could cost on this machine. Served only by bench_send_floor.py (bench.floor_settings adds
this URL to the product's); the product never routes here.

`floor_send` keeps what no send can skip and drops everything else:
- kept: the API key lookup, the per-key rate-limit count, the JSON body, and one
  transaction that reads the document with its customer's email, inserts the link, the
  outbox row and the SENT activity; the data-version bump after it; the API-call record;
- dropped: DRF (negotiation, parsers, throttle and permission classes, the renderer), the
  document's row lock, the subject and message checks, rendering both email bodies,
  encrypting the link, the delivery task row and delivery itself (the outbox row is
  stored as already sent, so the worker has nothing to do).

The read is the product's own kind of hot-path read (core.prepared: compiled once) and the
writes go through the ORM as the product's do (`create()`: one INSERT each). If this is
below a target, no implementation of the real endpoint that commits those rows meets it
here.
"""

import datetime
import json
import secrets

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from solabooks.activity.models import Activity, ActorType, Verb
from solabooks.activity.services import Actor, log_access
from solabooks.api.authentication import _find_key, hash_api_key
from solabooks.api.throttling import api_limit
from solabooks.core.prepared import PreparedQuery
from solabooks.core.ratelimit import hit
from solabooks.documents.models import Document
from solabooks.mail.models import OutboxMessage, OutboxState
from solabooks.sharing.models import LinkPurpose, SecureLink
from solabooks.sharing.selectors import hash_token
from solabooks.tenancy.versions import bump_data_version

_DOCUMENT = PreparedQuery(
    lambda pk, organization_id: (
        Document.objects.filter(pk=pk, organization_id=organization_id)
        .values_list("id", "customer_id", "customer__email")
        .order_by()[:1]
    ),
    pk=int,
    organization_id=int,
)


@csrf_exempt
def floor_send(request: HttpRequest, pk: int) -> HttpResponse:
    scheme, _, raw_key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    key = _find_key(hash_api_key(raw_key.strip()))
    if scheme.lower() != "bearer" or key is None or key.revoked_at is not None:
        return HttpResponse(status=401)
    if not hit(api_limit(), f"key:{key.pk}").allowed:
        return HttpResponse(status=429)
    body = json.loads(request.body)
    organization_id = key.organization_id
    now = timezone.now()
    with transaction.atomic():
        row = _DOCUMENT.first(pk=pk, organization_id=organization_id)
        if row is None:
            return HttpResponse(status=404)
        document_id, customer_id, email = row
        link = SecureLink.objects.create(
            organization_id=organization_id,
            customer_id=customer_id,
            purpose=LinkPurpose.DOCUMENT,
            document_id=document_id,
            token_hash=hash_token(secrets.token_urlsafe(32)),
            sent_to=email,
            created_at=now,
            expires_at=now + datetime.timedelta(hours=24),
        )
        OutboxMessage.objects.create(
            organization_id=organization_id,
            document_id=document_id,
            customer_id=customer_id,
            template="document_sent",
            to=email,
            from_email="Bench Co via Solabooks <noreply@solabooks.test>",
            subject=body.get("subject", ""),
            text_body=body.get("message", ""),
            html_body="",
            message_id=f"<{secrets.token_hex(16)}@solabooks.test>",
            state=OutboxState.SENT,
            sent_at=now,
        )
        Activity.objects.create(
            organization_id=organization_id,
            document_id=document_id,
            customer_id=customer_id,
            verb=Verb.SENT,
            actor_type=ActorType.API_KEY,
            actor_label="key",
            details={"link_id": link.pk, "subject": body.get("subject", "")},
        )
    bump_data_version(organization_id=organization_id)
    log_access(
        organization_id=organization_id,
        verb=Verb.API_CALL,
        actor=Actor.for_request(request, type=ActorType.API_KEY, label="key"),
        details={"method": "POST", "path": request.path, "status": 202},
    )
    answer = {"link": {"id": link.pk, "expires_at": link.expires_at.isoformat()}}
    return JsonResponse(answer, status=202)


urlpatterns = [
    path("bench/floor/send/<int:pk>", floor_send),
    path("", include("solabooks.urls")),
]
