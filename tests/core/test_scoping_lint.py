"""Scoping that is hard to forget: request-facing modules may only read business data
through `.objects.for_org(...)` / `.objects.for_customer(...)` (or a selector/service)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "solabooks"
REQUEST_FACING = ["views.py", "api/views.py", "api/serializers.py", "forms.py"]
BUSINESS_MODELS = (
    "Customer", "Document", "DocumentLine", "Payment", "PaymentAllocation", "Activity",
    "SecureLink", "Project", "TimeEntry", "ApprovalRequest", "ApprovalItem", "PortalAccess",
    "IdempotencyKey",
)  # fmt: skip
UNSCOPED = re.compile(rf"\b({'|'.join(BUSINESS_MODELS)})\.objects\.(?!for_org\(|for_customer\()")


def request_facing_files():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        # account_views.py, project_serializers.py… are request-facing too.
        if path.name.endswith(("views.py", "forms.py", "serializers.py")) or "/views/" in rel:
            yield path


@pytest.mark.parametrize(
    "path", list(request_facing_files()), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_views_read_business_data_only_through_a_scope(path):
    offending = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if UNSCOPED.search(line)
    ]
    assert not offending, "Unscoped query in a request-facing module:\n" + "\n".join(offending)
