from django.conf import settings
from django.urls import include, path

urlpatterns = [
    path("finance/", include("solabooks.tenancy.urls")),
    path("finance/customers/", include("solabooks.customers.urls")),
    path("finance/", include("solabooks.documents.urls")),
]

if settings.SOLABOOKS_DEMO or settings.DEBUG:
    from django.views.static import serve

    urlpatterns += [
        path("finance/media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
