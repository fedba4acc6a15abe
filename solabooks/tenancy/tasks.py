"""Staff account work that runs after the answer (core.background): the forgot-password
page says the same sentence for every email, so whether there is an account is decided
here. Arguments are stored with the task: an email, never a token or a password."""

from django_tasks import task


@task()
def forgot_password(*, email: str) -> None:
    from .accounts import request_password_reset

    request_password_reset(email=email)


@task()
def sign_in_paused(*, email: str) -> None:
    from .accounts import email_unlock_link

    email_unlock_link(email=email)
