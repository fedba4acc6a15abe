class DomainError(Exception):
    """An error a user can cause; views show its message, never a 500."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidTransition(DomainError):
    """Not in this state (documents.states): `code` names the check that refused it."""

    def __init__(self, message: str, *, code: str = "invalid_transition"):
        super().__init__(message, code=code)
