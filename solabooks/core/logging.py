import logging
import re

# Paths that carry a secret token; the token must never reach a log line.
TOKEN_PATH = re.compile(r"(/(?:i|q|p|t|setup|reset|unlock)/)[A-Za-z0-9_\-]{16,}")


def redact(text: str) -> str:
    return TOKEN_PATH.sub(r"\1[redacted]", text)


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info or record.exc_text:
            # Tracebacks may quote request paths; drop the request from the record.
            record.request = None
        return True
