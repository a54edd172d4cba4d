"""What the Algolia protocol's parsers raise: the caller's mistake, answered in Algolia's error shape (errors.py)."""


class AlgoliaRequestError(Exception):
    """A request the protocol refuses: `status` (400, or 404 for an unknown index) and a sentence of ours."""

    def __init__(self, message: str, status: int = 400, code: str = "invalid_parameter") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
