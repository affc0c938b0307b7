"""Errors the connector app raises, each with a message a company admin or accountant understands."""


class ConnectorError(Exception):
    """Base: `str(exc)` is shown to people as it is."""


class ConnectionRefused(ConnectorError):
    """A connect step that cannot go on (wrong plan, country, company already joined elsewhere…)."""


class NeedsReauthorisation(ConnectorError):
    """The provider no longer accepts our tokens; an admin must connect that side again."""

    def __init__(self, provider: str, message: str):
        super().__init__(message)
        self.provider = provider


class TokenRefreshUnavailable(ConnectorError):
    """The refresh call failed in a way worth retrying (network, 5xx): the token may still be good."""
