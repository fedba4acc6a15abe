from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from solabooks.activity.services import Actor
from solabooks.core.errors import DomainError
from solabooks.core.paging import page_of
from solabooks.core.sorting import sort_request
from solabooks.documents.models import Kind
from solabooks.tenancy.permissions import StaffViewMixin

from . import search as site_search
from . import selectors, services
from .forms import CustomerForm, CustomerSearchForm
from .models import Customer


class CustomerMixin(StaffViewMixin):
    """A page about one customer of the current business; any other business's customer
    (or a made-up id) is a 404, never a 403 that would confirm it exists."""

    tab: str = ""

    def get_customer(self) -> Customer:
        if not hasattr(self, "_customer"):
            self._customer = Customer.objects.for_org(self.org).get_or_404(pk=self.kwargs["pk"])
        return self._customer

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(customer=self.get_customer(), tab=self.tab, **kwargs)


class CustomerListView(StaffViewMixin, TemplateView):
    template_name = "customers/customer_list.html"

    def get_context_data(self, **kwargs) -> dict:
        search = CustomerSearchForm(self.request.GET)
        # An over-long search is ignored rather than an error page.
        query = search.cleaned_data["q"] if search.is_valid() else ""
        customers, sorting = sort_request(
            self.request,
            selectors.customer_list(organization=self.org, query=query),
            selectors.CUSTOMER_SORT_KEYS,
        )
        page = page_of(self.request, customers)
        return super().get_context_data(
            search=search, query=query, page=page, sorting=sorting, **kwargs
        )


class CustomerCreateView(StaffViewMixin, TemplateView):
    template_name = "customers/customer_form.html"

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", CustomerForm(initial={"currency": self.org.default_currency}))
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = CustomerForm(request.POST)
        if form.is_valid():
            try:
                customer = services.create_customer(
                    organization=self.org, actor=Actor.staff(request), **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Customer {customer.name} created.")
                return redirect("customer-detail", pk=customer.pk)
        return self.render_to_response(self.get_context_data(form=form))


class CustomerEditView(CustomerMixin, TemplateView):
    template_name = "customers/customer_form.html"
    tab = "edit"

    def get_context_data(self, **kwargs) -> dict:
        customer = self.get_customer()
        kwargs.setdefault(
            "form",
            CustomerForm(
                initial={f: services.stored_value(customer, f) for f in services.EDITABLE_FIELDS}
            ),
        )
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        customer = self.get_customer()
        form = CustomerForm(request.POST)
        if form.is_valid():
            try:
                change = services.update_customer(
                    customer=customer, actor=Actor.staff(request), **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if change.changed:
                    messages.success(request, f"Customer {change.customer.name} saved.")
                else:
                    messages.info(request, "Nothing changed.")
                for notice in change.notices:
                    messages.warning(request, notice)
                return redirect("customer-detail", pk=customer.pk)
        return self.render_to_response(self.get_context_data(form=form))


class CustomerDetailView(CustomerMixin, TemplateView):
    """The Documents tab: every document of the customer, with open balance per currency."""

    template_name = "customers/customer_detail.html"
    tab = "documents"

    def get_context_data(self, **kwargs) -> dict:
        customer = self.get_customer()
        kind = self.request.GET.get("kind", "")
        if kind not in Kind.values:
            kind = ""
        documents = selectors.customer_documents(customer=customer, kind=kind or None)
        return super().get_context_data(
            kind=kind,
            kinds=Kind.choices,
            page=page_of(self.request, documents),
            balances=selectors.customer_open_balances(organization=self.org, customer=customer),
            new_invoice_url=_new_document_url("invoice", customer),
            new_quote_url=_new_document_url("quote", customer),
            projects=list(customer.projects.order_by("name", "id")[:50]),
            **kwargs,
        )


def _new_document_url(kind: str, customer: Customer) -> str:
    return f"{reverse('document-create', args=[kind])}?customer={customer.pk}"


class CustomerPortalAccessView(CustomerMixin, TemplateView):
    """The Portal Access tab. Its panels are the portal and sharing apps' include
    templates; this page only frames them."""

    template_name = "customers/customer_portal_access.html"
    tab = "portal"


class CustomerActivityView(CustomerMixin, TemplateView):
    template_name = "customers/customer_activity.html"
    tab = "activity"

    def get_context_data(self, **kwargs) -> dict:
        page = page_of(self.request, selectors.customer_activity(customer=self.get_customer()))
        return super().get_context_data(page=page, **kwargs)


class SearchView(StaffViewMixin, TemplateView):
    """The header's search box: matching customers (the first few, with a link to all of
    them in the customer list) and matching documents, paged."""

    template_name = "customers/search.html"

    def get_context_data(self, **kwargs) -> dict:
        query = site_search.clean_query(self.request.GET.get("q"))
        context = {"site_query": query, "query": query}
        if query:
            context["customers"] = site_search.matching_customers(
                organization=self.org, query=query
            )
            context["page"] = page_of(
                self.request,
                site_search.matching_documents(organization=self.org, query=query),
            )
        return super().get_context_data(**context, **kwargs)
