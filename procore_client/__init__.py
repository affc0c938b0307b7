"""Procore REST client on requests: OAuth2, Procore-Company-Id, paging, filters, sync actions, rate limits."""

from .client import Download, Page, ProcoreClient, SyncResult
from .errors import (
    ProcoreAuthError,
    ProcoreConnectionError,
    ProcoreError,
    ProcoreInvalidGrant,
    ProcoreNotFound,
    ProcoreOutcomeUnknown,
    ProcoreRateLimited,
    ProcoreServerError,
    ProcoreValidationError,
)
from .oauth import ProcoreOAuth, TokenSet
from .pacing import HeaderPacer
from .resources import filters

__all__ = [
    "Download",
    "HeaderPacer",
    "Page",
    "ProcoreAuthError",
    "ProcoreClient",
    "ProcoreConnectionError",
    "ProcoreError",
    "ProcoreInvalidGrant",
    "ProcoreNotFound",
    "ProcoreOAuth",
    "ProcoreOutcomeUnknown",
    "ProcoreRateLimited",
    "ProcoreServerError",
    "ProcoreValidationError",
    "SyncResult",
    "TokenSet",
    "filters",
]
