"""The one exception family whose messages are written for people, not for logs.

Handlers catch `DomainError` and show `.message` as it is: every subclass is raised with a
sentence that says what was wrong and how to put it right, and never carries a secret.
It derives from `ValueError` so code that only cares "the value was bad" can keep catching that.
"""


class DomainError(ValueError):
    """A rule of the domain refused a value; `message` is ready to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def quote_input(text: str, limit: int = 40) -> str:
    """Echo a user's input inside a message, shortened so a pasted novel cannot flood a reply."""
    shown = " ".join(text.split())
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f"“{shown}”"
