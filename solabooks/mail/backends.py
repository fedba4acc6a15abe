from django.core.mail.backends.base import BaseEmailBackend

from .mailbox import store_message


class MailboxBackend(BaseEmailBackend):
    """Keeps every sent email as an .eml file in settings.DEMO_MAILBOX_DIR (var/mailbox).

    The embedded default: nothing leaves the machine, and the demo mailbox page
    (/finance/dev/mailbox/, SOLABOOKS_DEMO only) shows what a customer would receive.
    """

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                store_message(message.message().as_bytes())
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent
