"""Xero emulator: identity (OAuth 2.0), the accounting API subset the connector uses, webhooks, limits."""

from .app import create_app
from .oauth_store import (
    CLIENT_ID,
    CLIENT_SECRET,
    CUSTOM_CLIENT_ID,
    CUSTOM_CLIENT_SECRET,
    REDIRECT_PATH,
    WEBHOOK_KEY,
)
from .state import XeroState

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CUSTOM_CLIENT_ID",
    "CUSTOM_CLIENT_SECRET",
    "REDIRECT_PATH",
    "WEBHOOK_KEY",
    "XeroState",
    "create_app",
]
