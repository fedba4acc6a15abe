class DomainError(Exception):
    """An error a user can cause; views show its message, never a 500."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidTransition(DomainError):
    def __init__(self, message: str):
        super().__init__(message, code="invalid_transition")
