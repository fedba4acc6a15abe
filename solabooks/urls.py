from django.conf import settings
from django.urls import include, path

from solabooks.core.views import health
from solabooks.customers.views import SearchView
from solabooks.tenancy.media_views import logo_file
from solabooks.tenancy.models import LOGO_FOLDER

# Resolution tries patterns in order; the customer-facing ones (links, portal) and the API
# come first because they serve most requests. No two includes share a URL.
urlpatterns = [
    path("finance/health/", health, name="health"),
    path("finance/", include("solabooks.sharing.urls")),
    path("finance/", include("solabooks.projects.link_urls")),
    path("finance/customer-portal/", include("solabooks.portal.urls")),
    path("finance/api/", include("solabooks.api.urls")),
    path("finance/", include("solabooks.tenancy.urls")),
    path("finance/", include("solabooks.notifications.urls")),
    path("finance/search/", SearchView.as_view(), name="staff-search"),
    path("finance/customers/", include("solabooks.customers.urls")),
    path("finance/customers/", include("solabooks.portal.staff_urls")),
    path("finance/", include("solabooks.documents.urls")),
    path("finance/projects/", include("solabooks.projects.urls")),
    # Public media is logos only (generated PDFs live in the private storage, which no URL
    # maps to): the app streams them from the default storage, local or a bucket.
    path(f"finance/media/{LOGO_FOLDER}/<path:name>", logo_file, name="logo-file"),
]

if settings.SOLABOOKS_DEMO:  # the demo mailbox page exists only in the demo
    urlpatterns += [path("finance/dev/mailbox/", include("solabooks.mail.urls"))]
