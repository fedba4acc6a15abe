"""The stored side of `Idempotency-Key`: claim a key, save its answer, release it, purge.

These change no business data (the request's own service does that and records its
Activity), so they record none, like the rate-limit counters. The HTTP side (which
requests, which answers, the fingerprint) is `idempotency.py`.
"""

import datetime
import enum
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from solabooks.tenancy.models import Organization

from .models import IdempotencyKey

# How long an answer is kept (and a key stays taken) after the first request.
KEY_LIFETIME = datetime.timedelta(hours=24)
# How long a request may hold a key before a retry may take it over. Longer than any
# request lives (gunicorn kills a worker after 30 s), so only a claim whose worker is gone
# is ever taken over.
CLAIM_LEASE = datetime.timedelta(seconds=60)
# A key released or purged between our insert and our read is simply claimed again.
_ATTEMPTS = 3


class Outcome(enum.Enum):
    CLAIMED = "claimed"  # this request holds the key: do the work
    REPLAY = "replay"  # answered before: send `record`'s answer again
    IN_PROGRESS = "in_progress"  # another request holds the key right now
    MISMATCH = "mismatch"  # the key was used for another request


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    # CLAIMED: proves the claim is still ours when the answer is saved.
    token: str = ""
    # REPLAY: the stored answer.
    record: IdempotencyKey | None = None


def _lease(now: datetime.datetime, token: str, fingerprint: str) -> dict:
    """The columns of a fresh claim."""
    return {
        "fingerprint": fingerprint,
        "claim": token,
        "locked_until": now + CLAIM_LEASE,
        "status_code": None,
        "headers": {},
        "body": b"",
        "created_at": now,
        "expires_at": now + KEY_LIFETIME,
    }


@transaction.atomic
def claim_idempotency_key(*, organization: Organization, key: str, fingerprint: str) -> Claim:
    """Claim `key` for a request with this fingerprint, or say why not.

    The insert decides a race: of two requests with one key, the unique constraint lets one
    in and the other finds its row. Outside a transaction (as requests run) this commits
    before the work starts, so every other request sees the claim at once.
    """
    for _ in range(_ATTEMPTS):
        now = timezone.now()
        token = secrets.token_hex(16)
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    organization=organization, key=key, **_lease(now, token, fingerprint)
                )
            return Claim(Outcome.CLAIMED, token=token)
        except IntegrityError:
            pass
        record = IdempotencyKey.objects.for_org(organization).filter(key=key).first()
        if record is None:
            continue
        if record.expires_at <= now:
            # An expired key behaves as new (the daily purge may not have run yet).
            taken = Q(expires_at__lte=now)
        elif record.fingerprint != fingerprint:
            return Claim(Outcome.MISMATCH)
        elif not record.in_progress:
            return Claim(Outcome.REPLAY, record=record)
        elif record.locked_until > now:
            return Claim(Outcome.IN_PROGRESS)
        else:
            # The lease ran out: the request that held it is gone, and its work was rolled
            # back with it (the work and the saved answer commit together).
            taken = Q(status_code__isnull=True, locked_until__lte=now)
        updated = (
            IdempotencyKey.objects.for_org(organization)
            .filter(taken, pk=record.pk)
            .update(**_lease(now, token, fingerprint))
        )
        if updated:
            return Claim(Outcome.CLAIMED, token=token)
    return Claim(Outcome.IN_PROGRESS)


def save_idempotent_response(
    *,
    organization: Organization,
    key: str,
    token: str,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
) -> bool:
    """Keep the answer of the request holding the claim `token`. False when the claim is no
    longer ours (its lease ran out and a retry took the key over)."""
    return bool(
        IdempotencyKey.objects.for_org(organization)
        .filter(key=key, claim=token, status_code__isnull=True)
        .update(status_code=status_code, headers=headers, body=body, claim="", locked_until=None)
    )


def release_idempotency_key(*, organization: Organization, key: str, token: str) -> None:
    """Give the key back unanswered (the request failed), so a retry does the work."""
    IdempotencyKey.objects.for_org(organization).filter(
        key=key, claim=token, status_code__isnull=True
    ).delete()


def purge_expired_idempotency_keys(*, now: datetime.datetime | None = None) -> int:
    """Delete every business's keys older than KEY_LIFETIME; the number deleted."""
    now = now or timezone.now()
    # All businesses at once: a maintenance job, not a request.
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    return deleted
