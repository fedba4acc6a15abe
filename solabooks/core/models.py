"""Tables of the shared pieces: the rate-limit counters kept in the database."""

from django.db import models


class RateCounter(models.Model):
    """One rate-limit counter (core.ratelimit): how many hits a subject made in a window.

    Used for every limit when no Redis is configured, and always for the durable ones (an
    account's consecutive failed sign-ins must outlive a cache flush). Not business data:
    the key is a digest, never an email or an address.
    """

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key} = {self.count}"
