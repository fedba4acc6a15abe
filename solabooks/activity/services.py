from dataclasses import dataclass, field

from django.http import HttpRequest

from solabooks.core.middleware import request_origin
from solabooks.tenancy.versions import bump_data_version_on_commit

from .accesslog import RowUpdate, access_log
from .models import Activity, ActorType


@dataclass(frozen=True)
class Actor:
    """Who did something, and from where. Built once per request and passed to services."""

    type: str
    user: object | None = None
    label: str = ""
    ip: str | None = None
    user_agent: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def saved_user(self):
        """The user, when it is a stored account (what `created_by` columns take); None
        for customers, API keys, the system, and unsaved users."""
        return self.user if getattr(self.user, "pk", None) else None

    @classmethod
    def staff(cls, request: HttpRequest) -> "Actor":
        return cls(
            type=ActorType.STAFF,
            user=request.user,
            label=request.user.email,
            **request_origin(request),
        )

    @classmethod
    def system(cls, label: str = "Solabooks") -> "Actor":
        return cls(type=ActorType.SYSTEM, label=label)

    @classmethod
    def for_request(cls, request: HttpRequest, *, type: str, label: str) -> "Actor":
        return cls(type=type, label=label, **request_origin(request))

    def to_json(self) -> dict:
        """The actor as a background task's argument (JSON); `from_json` turns it back."""
        return {
            "type": self.type,
            "user_id": getattr(self.user, "pk", None),
            "label": self.label,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Actor":
        from solabooks.tenancy.models import User

        user_id = data.get("user_id")
        user = User.objects.filter(pk=user_id).first() if user_id else None
        return cls(
            type=data["type"],
            user=user,
            label=data.get("label", ""),
            ip=data.get("ip"),
            user_agent=data.get("user_agent", ""),
            extra=data.get("extra") or {},
        )


def _activity(
    *,
    organization_id: int,
    verb: str,
    actor: Actor,
    document_id: int | None,
    customer_id: int | None,
    project_id: int | None = None,
    details: dict | None,
) -> Activity:
    """The row both writers store: the actor's fields cut to their columns."""
    return Activity(
        organization_id=organization_id,
        document_id=document_id,
        customer_id=customer_id,
        project_id=project_id,
        verb=verb,
        actor_type=actor.type,
        actor_user_id=getattr(actor.user, "pk", None),
        actor_label=actor.label[:200],
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:400],
        details=details or {},
    )


def record_activity(
    *,
    organization,
    verb: str,
    actor: Actor,
    document=None,
    customer=None,
    project=None,
    details: dict | None = None,
) -> Activity:
    if customer is None and document is not None:
        customer_id = document.customer_id
    else:
        customer_id = customer.pk if customer is not None else None
    activity = _activity(
        organization_id=organization.pk,
        verb=verb,
        actor=actor,
        document_id=document.pk if document is not None else None,
        customer_id=customer_id,
        project_id=project.pk if project is not None else None,
        details=details,
    )
    activity.save(force_insert=True)
    # Every state change records its Activity, so this is where the business's data
    # version learns of every change (tenancy/versions.py).
    bump_data_version_on_commit(organization_id=organization.pk)
    return activity


def log_access(
    *,
    organization_id: int,
    verb: str,
    actor: Actor,
    document_id: int | None = None,
    customer_id: int | None = None,
    project_id: int | None = None,
    details: dict | None = None,
    row_updates: tuple[RowUpdate, ...] = (),
) -> None:
    """A deferred access record, for what happens on every customer or API request (views,
    downloads, API calls): the same Activity row record_activity() writes, stamped now (its created_at's
    default) but
    written by the access log in its next batch, outside the request's transaction (see
    accesslog.py), with any bookkeeping `row_updates`. Business changes use
    record_activity(), which writes in the change's own transaction."""
    activity = _activity(
        organization_id=organization_id,
        verb=verb,
        actor=actor,
        document_id=document_id,
        customer_id=customer_id,
        project_id=project_id,
        details=details,
    )
    access_log.record(activity, row_updates)
