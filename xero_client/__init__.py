"""Xero client on the official xero-python SDK: OAuth, accounting reads/writes, one error family."""

from .client import MAX_BATCH, MAX_PAGE_SIZE, LockDates, Page, XeroClient
from .errors import (
    ElementResult,
    XeroAuthError,
    XeroConnectionError,
    XeroDayLimitReached,
    XeroError,
    XeroForbidden,
    XeroInvalidGrant,
    XeroNotFound,
    XeroRateLimited,
    XeroServerError,
    XeroValidationError,
)
from .oauth import DEFAULT_SCOPES, TokenSet, XeroOAuth

__all__ = [
    "DEFAULT_SCOPES",
    "MAX_BATCH",
    "MAX_PAGE_SIZE",
    "ElementResult",
    "LockDates",
    "Page",
    "TokenSet",
    "XeroAuthError",
    "XeroClient",
    "XeroConnectionError",
    "XeroDayLimitReached",
    "XeroError",
    "XeroForbidden",
    "XeroInvalidGrant",
    "XeroNotFound",
    "XeroOAuth",
    "XeroRateLimited",
    "XeroServerError",
    "XeroValidationError",
]
