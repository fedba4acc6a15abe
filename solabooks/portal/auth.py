"""Portal sign-in and sessions, kept apart from staff sign-in.

Portal users are not `tenancy.User`s and never go through `django.contrib.auth.login`: a
portal session is a few portal-only keys in the Django session, checked on every request.
So a staff session opens no portal page and a portal session opens no staff page.

Invalidation follows from state (like Django's session auth hash). A session remembers:
- a fingerprint of the password hash: a password change ends every other session;
- the chosen access and its `session_epoch`: Disable (which bumps the epoch) ends every
  session of that access on its next request, in every tab and on every server.
"""

import enum
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from solabooks.activity.models import Activity
from solabooks.core import sessions, signin
from solabooks.core.prepared import (
    PreparedQuery,
    RelatedColumns,
    attnames_of,
    column_paths,
    concrete_attnames,
    instances_from_db,
)
from solabooks.customers.models import Customer
from solabooks.tenancy.models import Organization

from .models import AccessState, PortalAccess, PortalUser
from .tokens import access_is_usable

SESSION_USER = "portal_user_id"
SESSION_FINGERPRINT = "portal_password_fp"
SESSION_ACCESS = "portal_access_id"
SESSION_EPOCH = "portal_access_epoch"
SESSION_CAN_SWITCH = "portal_can_switch"
SESSION_KEYS = (
    SESSION_USER,
    SESSION_FINGERPRINT,
    SESSION_ACCESS,
    SESSION_EPOCH,
    SESSION_CAN_SWITCH,
)

# Sign-in throttles (core.signin): per account and client, per client, and at most 100
# consecutive failures per account before an emailed unlock.
SIGN_IN_LIMITS = signin.limits_for("portal")

# One sentence for an unknown email and a wrong password: the page never says which.
BAD_CREDENTIALS = "That email and password do not match a portal account."
NO_BUSINESS = (
    "No business gives this account portal access at the moment. "
    "Contact the business that invited you."
)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


too_many_attempts = signin.too_many_attempts


def access_turned_off(business_name: str) -> str:
    return (
        f"Your access to {business_name} has been turned off. "
        f"Contact {business_name} if you think this is a mistake."
    )


# --- Credentials ------------------------------------------------------------------------


def check_credentials(*, email: str, password: str) -> PortalUser | None:
    """The portal user with this email and password, or None.

    An unknown email (or one without a password yet) still hashes the password once, so
    both failures take the time of a real check and timing tells nothing.
    """
    user = PortalUser.objects.filter(email=normalize_email(email)).first()
    if user is None or not user.has_password:
        make_password(password)
        return None
    # No re-hash on login: the hash is the session fingerprint, and a silent re-hash would
    # end the person's other sessions. Hashes are renewed when the password changes.
    if check_password(password, user.password):
        return user
    return None


@dataclass(frozen=True)
class LoginAttempt:
    user: PortalUser | None
    error: str = ""
    throttled: bool = False
    # The failure that paused the account: its owner gets an unlock email (after the answer).
    locked_now: bool = False


def attempt_login(*, email: str, password: str, client_ip: str) -> LoginAttempt:
    """Check a sign-in through the shared sign-in throttles (core.signin).

    Every email is counted and answered the same way, known or not, so neither the
    throttle nor the lock reveals whether an email has an account.
    """
    account = normalize_email(email)
    result = signin.guarded_sign_in(
        SIGN_IN_LIMITS,
        account=account,
        client_ip=client_ip,
        check=lambda: check_credentials(email=account, password=password),
    )
    if result.user is not None:
        return LoginAttempt(user=result.user)
    if result.refusal is signin.Refusal.THROTTLED:
        return LoginAttempt(user=None, error=too_many_attempts(result.retry_after), throttled=True)
    if result.refusal is signin.Refusal.LOCKED:
        return LoginAttempt(
            user=None, error=signin.LOCKED_MESSAGE, throttled=True, locked_now=result.locked_now
        )
    return LoginAttempt(user=None, error=BAD_CREDENTIALS)


# --- Sessions ---------------------------------------------------------------------------


def session_fingerprint(user: PortalUser) -> str:
    return salted_hmac(
        "solabooks.portal.session", user.password or "", algorithm="sha256"
    ).hexdigest()


def usable_accesses(user: PortalUser) -> QuerySet[PortalAccess]:
    """The businesses this person can open now: active, and still for the email on file."""
    return (
        PortalAccess.objects.filter(
            portal_user=user, state=AccessState.ACTIVE, customer__email__iexact=user.email
        )
        .select_related("organization", "customer")
        .order_by("organization__name", "customer__name", "pk")
    )


def sign_in(request: HttpRequest, user: PortalUser) -> None:
    """Start a portal session (no business chosen yet). A new session key defeats fixation;
    a staff sign-in in the same browser is left as it is and grants nothing here."""
    request.session.cycle_key()
    for key in SESSION_KEYS:
        request.session.pop(key, None)
    request.session[SESSION_USER] = user.pk
    request.session[SESSION_FINGERPRINT] = session_fingerprint(user)
    sessions.start(request.session, sessions.PORTAL)
    PortalUser.objects.filter(pk=user.pk).update(last_login_at=timezone.now())


def enter_access(request: HttpRequest, access: PortalAccess, *, can_switch: bool) -> None:
    request.session[SESSION_ACCESS] = access.pk
    request.session[SESSION_EPOCH] = access.session_epoch
    request.session[SESSION_CAN_SWITCH] = can_switch


def sign_out(request: HttpRequest) -> None:
    for key in SESSION_KEYS:
        request.session.pop(key, None)
    sessions.forget(request.session, sessions.PORTAL)
    request.session.cycle_key()


def keep_session_after_password_change(request: HttpRequest, user: PortalUser) -> None:
    """The session that changed the password stays signed in; every other one ends, because
    its fingerprint no longer matches the new hash."""
    request.session[SESSION_FINGERPRINT] = session_fingerprint(user)
    request.session.cycle_key()


class Outcome(enum.Enum):
    OK = "ok"
    SIGNED_OUT = "signed_out"
    CHOOSE = "choose"  # signed in, no business chosen yet
    CREDENTIALS_CHANGED = "credentials_changed"
    ACCESS_OFF = "access_off"
    # 12 hours since sign-in, or 30 minutes without a request (core.sessions).
    SESSION_ENDED = "session_ended"


@dataclass(frozen=True)
class PortalSession:
    """The signed-in customer at one business. Every portal page reads through it."""

    user: PortalUser
    access: PortalAccess
    can_switch: bool = False
    # The newest Activity row about the customer, read with the access: it names a version
    # of the customer's dashboard and lists (pages.py).
    newest_activity_id: int | None = None

    @property
    def customer(self):
        return self.access.customer

    @property
    def organization(self):
        return self.access.organization


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    session: PortalSession | None = None
    user: PortalUser | None = None
    business_name: str = ""


# The customer's and the business's columns a portal session loads (the cached pages key
# on them too, views/pages.py). Only what portal requests read: the rest is deferred
# (reading it costs a query, as with .only()), and each datetime left out is one value
# less to parse on every request.
CUSTOMER_FIELDS = concrete_attnames(Customer, exclude=("created_at",))
ORGANIZATION_FIELDS = concrete_attnames(Organization, exclude=("created_at",))

# The access with its portal user, customer and business, checked on every portal request,
# and the newest Activity row about the customer (index activity(customer, -created_at)),
# which the cached pages key on. Building and compiling this query each time cost more CPU
# than the rest of a cached page, so it is a prepared statement (core.prepared): compiled
# once, re-run with the session's ids.
_SESSION_COLUMNS: RelatedColumns = (
    (
        PortalAccess,
        "",
        attnames_of(
            PortalAccess,
            *("id", "organization_id", "customer_id", "portal_user_id", "state"),
            "session_epoch",
        ),
    ),
    (PortalUser, "portal_user__", attnames_of(PortalUser, "id", "email", "password")),
    (Customer, "customer__", CUSTOMER_FIELDS),
    (Organization, "organization__", ORGANIZATION_FIELDS),
)
_NEWEST_ACTIVITY = Subquery(
    Activity.objects.filter(
        organization_id=OuterRef("organization_id"), customer_id=OuterRef("customer_id")
    )
    .order_by("-created_at", "-id")
    .values("id")[:1]
)
_ACCESS_FOR_SESSION = PreparedQuery(
    lambda access_id, user_id: (
        PortalAccess.objects.filter(pk=access_id, portal_user_id=user_id)
        .annotate(newest_activity_id=_NEWEST_ACTIVITY)
        .values_list(*column_paths(_SESSION_COLUMNS), "newest_activity_id")
        .order_by()[:1]
    ),
    access_id=int,
    user_id=int,
)


def _access_from_row(row: tuple) -> tuple[PortalAccess, int | None]:
    access, user, customer, organization = instances_from_db(_SESSION_COLUMNS, row)
    access.portal_user, access.customer, access.organization = user, customer, organization
    if customer.organization_id == organization.pk:
        customer.organization = organization
    return access, row[-1]  # newest_activity_id, read after the columns


def resolve(request: HttpRequest) -> Resolution:
    """Check the portal session of a request against the current state, in one query."""
    data = request.session
    user_id, access_id = data.get(SESSION_USER), data.get(SESSION_ACCESS)
    if not isinstance(user_id, int):
        return Resolution(Outcome.SIGNED_OUT)
    if not sessions.still_alive(data, sessions.PORTAL):
        return Resolution(Outcome.SESSION_ENDED)
    if access_id is None:
        access = None
        user = PortalUser.objects.filter(pk=user_id).first()
    elif not isinstance(access_id, int):
        return Resolution(Outcome.SIGNED_OUT)
    else:
        row = _ACCESS_FOR_SESSION.first(access_id=access_id, user_id=user_id)
        access, newest_activity_id = _access_from_row(row) if row else (None, None)
        user = access.portal_user if access is not None else None
    if user is None:
        return Resolution(Outcome.SIGNED_OUT)
    if not user.has_password or not constant_time_compare(
        str(data.get(SESSION_FINGERPRINT, "")), session_fingerprint(user)
    ):
        return Resolution(Outcome.CREDENTIALS_CHANGED)
    if access is None:
        return Resolution(Outcome.CHOOSE, user=user)
    if (
        access.state != AccessState.ACTIVE
        or data.get(SESSION_EPOCH) != access.session_epoch
        or not access_is_usable(access, user)
    ):
        return Resolution(Outcome.ACCESS_OFF, user=user, business_name=access.organization.name)
    return Resolution(
        Outcome.OK,
        session=PortalSession(
            user=user,
            access=access,
            can_switch=bool(data.get(SESSION_CAN_SWITCH)),
            newest_activity_id=newest_activity_id,
        ),
        user=user,
    )
