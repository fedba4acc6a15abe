from django.db import models

from solabooks.core.scoping import OrganizationScopedManager


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a business sent with an API write, and the answer it got.

    While the first request runs, the row is its claim: `status_code` is null and the claim
    lasts until `locked_until` (a lease, so a killed worker cannot hold the key for ever).
    Once the request is answered, the row keeps the answer until `expires_at` (24 hours),
    and a retry of the same request gets it back. See `solabooks/api/idempotency.py`.
    """

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path with query, Content-Type and (canonical JSON) body.
    fingerprint = models.CharField(max_length=64)
    # Random; names the request that holds the claim, so only it saves or releases the row
    # (a request whose lease was taken over cannot overwrite the new owner's answer).
    claim = models.CharField(max_length=32, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer's Content-Type and Location; the body as it was sent.
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = OrganizationScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"], name="idempotency_key_unique_per_business"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="idempotency_key_expires_later",
            ),
            # In progress (no answer yet) always has a lease.
            models.CheckConstraint(
                condition=models.Q(status_code__isnull=False)
                | models.Q(locked_until__isnull=False),
                name="idempotency_key_claim_has_lease",
            ),
        ]
        # The daily purge deletes by expiry across businesses.
        indexes = [models.Index(fields=["expires_at"], name="api_idemkey_expires_idx")]

    def __str__(self) -> str:
        return f"idempotency key #{self.pk}"

    @property
    def in_progress(self) -> bool:
        return self.status_code is None
