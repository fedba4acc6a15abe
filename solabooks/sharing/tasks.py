"""Link-page work that runs after the answer (core.background): Request access and Set up
an account answer the same sentence whatever happens, so what happens is decided here.
Arguments are stored with the task: ids, never a raw token."""

from django_tasks import task

from solabooks.activity.services import Actor


@task()
def access_requested(*, link_id: int, actor: dict) -> None:
    from .models import LinkPurpose, SecureLink
    from .services import request_link_access

    link = SecureLink.objects.filter(pk=link_id).first()
    if link is None:
        return
    if link.purpose == LinkPurpose.DOCUMENT:
        request_link_access(link=link, actor=Actor.from_json(actor))
    else:  # a project share or time approval link (projects builds on sharing)
        from solabooks.projects.link_access import request_project_link_access

        request_project_link_access(link=link, actor=Actor.from_json(actor))


@task()
def account_setup_requested(*, customer_id: int, actor: dict) -> None:
    from solabooks.customers.models import Customer
    from solabooks.portal.accounts import start_portal_setup_from_link

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is not None:
        start_portal_setup_from_link(customer=customer, actor=Actor.from_json(actor))
