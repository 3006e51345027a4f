"""Errors that are the user's input, not a bug: reported as one line and a non-zero exit."""


class UserError(Exception):
    """Bad input (file, dataset, argument); the message is one line that names the input and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
