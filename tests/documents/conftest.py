"""Helpers for the document and payment page tests."""

import sys
import types
import pytest
from django.http import HttpResponse
from django.urls import NoReverseMatch, include, path, reverse

# URL names that staff/base.html and the seam templates link to but that other apps own.
# While those apps are being built in the same tree a name may not exist yet; a stub keeps
# these pages renderable. Names that do exist are left alone, so this is inert once they do.
FOREIGN_URL_NAMES = {
    "customer-list": "", "customer-create": "", "organization-settings": "",
    "member-list": "", "api-key-list": "", "customer-detail": "<int:pk>",
    "customer-edit": "<int:pk>", "customer-portal-access": "<int:pk>",
    "customer-activity": "<int:pk>", "document-send": "<int:pk>",
    "customer-links-revoke": "<int:pk>",
}  # fmt: skip


def _missing(name: str, route: str, urlconf: str) -> bool:
    try:
        reverse(name, args=[1] if route else [], urlconf=urlconf)
    except NoReverseMatch:
        return True
    return False


@pytest.fixture(autouse=True)
def _stub_urls_other_apps_own(settings):
    real = settings.ROOT_URLCONF
    stubs = [
        path(f"__stub__/{name}/{route}", lambda request, **kw: HttpResponse("stub"), name=name)
        for name, route in FOREIGN_URL_NAMES.items()
        if _missing(name, route, real)
    ]
    if not stubs:
        yield
        return
    module = types.ModuleType("tests_documents_urls")
    module.urlpatterns = [path("", include(real)), *stubs]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    yield
    sys.modules.pop(module.__name__, None)
