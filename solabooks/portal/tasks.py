"""Portal work that runs after the answer (core.background): whatever the input, the
request only validates it, enqueues one of these and says the same neutral sentence.
Arguments are stored with the task, so none is a raw token or a password."""

from django_tasks import task

from solabooks.activity.services import Actor


@task()
def forgot_password(*, email: str, actor: dict) -> None:
    from .accounts import request_password_reset

    request_password_reset(email=email, actor=Actor.from_json(actor))


@task()
def new_link_requested(*, token_id: int, actor: dict) -> None:
    from .accounts import request_new_link

    request_new_link(token_id=token_id, actor=Actor.from_json(actor))


@task()
def sign_in_paused(*, email: str) -> None:
    from .accounts import email_unlock_link

    email_unlock_link(email=email)
