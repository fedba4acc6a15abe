from django.utils import timezone

from solabooks.activity.models import Verb
from solabooks.activity.services import Actor, record_activity

from .models import SecureLink


def invalidate_document_links(*, document, actor: Actor, reason: str) -> int:
    """Revoke every outstanding link to a document. Runs in the caller's transaction."""
    now = timezone.now()
    count = SecureLink.objects.filter(document=document, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    if count:
        record_activity(
            organization=document.organization,
            document=document,
            verb=Verb.LINKS_REVOKED,
            actor=actor,
            details={"count": count, "reason": reason},
        )
    return count
