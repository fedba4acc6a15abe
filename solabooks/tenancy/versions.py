"""The business's data version: a number that moves after every committed change.

Answers that many clients ask for again and again (the API's document list) are kept
rendered under the version they were read at (api/reads.py). The version moves after the
change's transaction commits, so an answer read under a version shows the data of that
version or newer, never older: a reader that saw the old version and then newer rows keeps
a newer answer under an old key, which the next reader (seeing the new version) passes by.

Every change reaches here without the code that makes it having to remember: every state
change records an Activity row (activity.services.record_activity), and that registers the
bump; the access log does the same for the bookkeeping columns that business data shows
(a document's first view). The increment is one UPDATE in SQL, in its own short
transaction after the change's, so no row lock is held across a business's writes.

Should a process die between a commit and its bump, readers keep the old answer: answers
are also kept at most ANSWER_MAX_AGE seconds (see `version_key`).
"""

import time
from functools import partial

from django.conf import settings
from django.db import connections, router, transaction

from .models import Organization

# How long a rendered answer may be kept at most, whatever the version says (seconds;
# settings.ANSWER_MAX_AGE, 60 unless the environment says otherwise).
ANSWER_MAX_AGE: int = settings.ANSWER_MAX_AGE

_BUMP_SQL: dict[str, str] = {}


def bump_data_version(*, organization_id: int) -> None:
    """Move the business's data version now (in autocommit, or the caller's transaction)."""
    alias = router.db_for_write(Organization)
    connection = connections[alias]
    sql = _BUMP_SQL.get(alias)
    if sql is None:
        quote = connection.ops.quote_name
        table, column = quote(Organization._meta.db_table), quote("data_version")
        sql = _BUMP_SQL[alias] = (
            f"UPDATE {table} SET {column} = {column} + 1 WHERE {quote('id')} = %s"  # noqa: S608
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id])


def bump_data_version_on_commit(*, organization_id: int) -> None:
    """The business's data changed in the current transaction: move its version once the
    transaction commits (at once outside one)."""
    transaction.on_commit(
        partial(bump_data_version, organization_id=organization_id),
        using=router.db_for_write(Organization),
        robust=True,
    )


def version_key(organization: Organization) -> tuple[int, int, int]:
    """What names one version of a business's data in a cache key: the business, its data
    version, and the ANSWER_MAX_AGE window (the bound on a bump lost to a crash)."""
    return (organization.pk, organization.data_version, int(time.time() // ANSWER_MAX_AGE))
