"""docs/SECURITY.md's header table says what the code sends."""

from pathlib import Path

from solabooks.core.tokenpages import TOKEN_PAGE_HEADERS
from solabooks.sharing.views import NON_HTML_CSP

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"


def test_the_header_table_matches_the_code():
    table = SECURITY.read_text().split("## Response headers", 1)[1].split("\n## ", 1)[0]
    for name, value in TOKEN_PAGE_HEADERS.items():
        assert f"`{name}: {value}`" in table, name
    assert f"`{NON_HTML_CSP}`" in table
