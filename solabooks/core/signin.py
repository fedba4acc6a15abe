"""Sign-in throttling shared by staff and portal sign-in.

Three counters, each hit atomically *before* the password is checked (core.ratelimit), so
parallel guesses cannot slip past a limit between the check and the count:

- per (account, client address), tight: one client guessing one account is slowed down
  after a few tries, and nobody else is;
- per client address: one client guessing many accounts;
- per account, consecutive failures from anywhere, at most 100 (NIST SP 800-63B), kept
  in the database (a cache flush does not reset it). The 100th failure pauses the
  account until its owner follows the emailed unlock link or resets the password.

So an attacker elsewhere can slow down only their own client: the owner's correct password
from another address still signs in, until the 100-failure lock (which emails them).
Unknown emails go through exactly the same counters and answers, so neither the throttle
nor the lock tells whether an email has an account.

A correct password takes its hits back (the pair's and the client's), so people who sign in
successfully from one office address never use up its allowance.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from . import ratelimit

MAX_CONSECUTIVE_FAILURES = 100
FAILURE_MEMORY = 30 * 24 * 3600  # a pause of 30 days between failures forgets them

LOCKED_MESSAGE = (
    "Sign-in to this account is paused after too many failed attempts. If the account "
    "exists, we have emailed its address a link to unlock it; resetting the password "
    "unlocks it too."
)

User = TypeVar("User")


@dataclass(frozen=True)
class SignInLimits:
    per_account_and_client: ratelimit.Limit
    per_client: ratelimit.Limit
    consecutive_failures: ratelimit.Limit


def limits_for(scope: str, *, per_pair: int = 5, per_client: int = 20) -> SignInLimits:
    """The three limits of one sign-in page (`scope`: "staff", "portal")."""
    window = 15 * 60
    return SignInLimits(
        per_account_and_client=ratelimit.Limit(f"{scope}-login-pair", per_pair, window),
        per_client=ratelimit.Limit(f"{scope}-login-client", per_client, window),
        consecutive_failures=ratelimit.Limit(
            f"{scope}-login-failures",
            MAX_CONSECUTIVE_FAILURES,
            FAILURE_MEMORY,
            rolling=True,
            durable=True,
        ),
    )


class Refusal(enum.Enum):
    THROTTLED = "throttled"  # this client tried too often: wait `retry_after` seconds
    LOCKED = "locked"  # the account needs the emailed unlock or a password reset


@dataclass(frozen=True)
class SignInResult(Generic[User]):
    user: User | None
    refusal: Refusal | None = None
    retry_after: int = 0
    # True for the one failure that locked the account: its owner is to be emailed.
    locked_now: bool = False


def too_many_attempts(retry_after: int) -> str:
    minutes = max(1, -(-retry_after // 60))
    return f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def is_locked(limits: SignInLimits, account: str) -> bool:
    return not ratelimit.is_blocked(limits.consecutive_failures, account).allowed


def unlock(limits: SignInLimits, account: str) -> None:
    """Forget the account's consecutive failures (emailed unlock, password reset)."""
    ratelimit.reset(limits.consecutive_failures, account)


def guarded_sign_in(
    limits: SignInLimits,
    *,
    account: str,
    client_ip: str,
    check: Callable[[], User | None],
) -> SignInResult[User]:
    """Run `check` (the password check, which must take the same time for unknown
    accounts) unless a limit refuses; count everything atomically before it runs."""
    client = client_ip or "unknown"
    if is_locked(limits, account):
        return SignInResult(user=None, refusal=Refusal.LOCKED)
    pair = f"{account}\n{client}"
    verdicts = [
        ratelimit.hit(limits.per_account_and_client, pair),
        ratelimit.hit(limits.per_client, client),
    ]
    if not all(verdict.allowed for verdict in verdicts):
        wait = max(verdict.retry_after for verdict in verdicts if not verdict.allowed)
        return SignInResult(user=None, refusal=Refusal.THROTTLED, retry_after=wait)
    # Reserve this attempt as a failure before checking: only 100 checks ever run.
    failures = ratelimit.hit(limits.consecutive_failures, account)
    if not failures.allowed:
        return SignInResult(user=None, refusal=Refusal.LOCKED)
    user = check()
    if user is not None:
        unlock(limits, account)
        ratelimit.reset(limits.per_account_and_client, pair)
        ratelimit.undo_hit(limits.per_client, client)
        return SignInResult(user=user)
    if failures.count == limits.consecutive_failures.max_hits:
        return SignInResult(user=None, refusal=Refusal.LOCKED, locked_now=True)
    return SignInResult(user=None)
