"""Remote errors in words an accountant understands, each with a hint of what to do."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)
# (pattern in the remote message, plain words, hint)
XERO_MESSAGES = [
    (r"Code.*(longer|too long|30)", "The item code is longer than Xero's 30 characters.",
     "Shorten the cost code or the cost type code in Procore, then sync again."),
    (r"Name.*(longer|too long|50)", "The name is longer than Xero allows.", "Shorten it in Procore, then sync again."),
    (r"already (exists|assigned)|must be unique|is already", "Xero already has a record with this name or number.",
     "Link the existing Xero record from the matching screen, or rename one of them."),
    (r"not of valid status for modification|payment or credit note allocated",
     "Xero no longer lets this document be changed (it was approved, paid or voided there).",
     "Change it in Xero by hand if needed."),
    (r"lock date", "The date falls in a period that is locked in Xero.",
     "Ask the accountant to move Xero's lock date, or date the record after it."),
    (r"[Aa]ccount code", "Xero does not accept the account code.",
     "Check the default purchase account in the connection settings."),
    (r"TaxType|tax", "Xero does not accept the tax rate.", "Check the default tax rate in the connection settings."),
    (r"[Tt]racking", "Xero refused the tracking option.", "Check the project is synced and its option is active."),
]


# The SDK's own checks, before anything is sent ("not sent: Invalid value for `name`, length must be less than or
# equal to `255`"): said in words, never as the SDK's text.
SDK_LENGTH = re.compile(r"(?:not sent: )?Invalid value for `(\w+)`, length must be less than or equal to `(\d+)`")
SDK_OTHER = re.compile(r"^not sent: .*")


def _plain(message: str) -> str:
    found = SDK_LENGTH.search(message)
    if found:
        field = found.group(1).replace("_", " ")
        return f"The {field} is longer than the {found.group(2)} characters Xero takes; it was not sent"
    if SDK_OTHER.match(message):
        return "A value is not in a form Xero takes; it was not sent"
    return message


def explain_xero(messages: list[str]) -> tuple[str, str]:
    text = "; ".join(_plain(m) for m in messages if m) or "Xero refused the record without saying why."
    if "characters Xero takes" in text:
        return f"{text}.", "Shorten it in Procore, then sync again."
    for pattern, words, hint in XERO_MESSAGES:
        if re.search(pattern, text):
            return f"{words} Xero said: {text}", hint
    return f"Xero refused the record: {text}", "Correct the record in Procore, then retry."


def explain_exception(exc: Exception) -> tuple[str, str]:
    """A whole call failed (not one element): say so without blaming the record."""
    name = type(exc).__name__
    infrastructure = _infrastructure(exc)
    if infrastructure:
        return infrastructure
    if "SoftTimeLimit" in name:
        return ("Stopped at the task's time limit; the run goes on from where it stopped.", "")
    if "RateLimited" in name or "DayLimit" in name or "BudgetExhausted" in name:
        return "Paused by the rate limit; the record is kept and will sync on the next run.", ""
    if "Auth" in name or "Reauthorisation" in name or "InvalidGrant" in name:
        return "The connection needs re-authorisation.", "A company admin must reconnect Procore or Xero."
    if "Connection" in name or "Outcome" in name or "Server" in name or "Unavailable" in name:
        return (f"{_which(exc)} {_what_went_wrong(name)}. Nothing was lost.",
                "It will be retried automatically; use Retry to try now.")
    length = SDK_LENGTH.search(str(exc))
    if length:
        field = length.group(1).replace("_", " ")
        return (f"The {field} is longer than Xero's {length.group(2)} characters, so it was not sent.",
                "Shorten it in Procore, then sync again.")
    # Never show a program's own text to a person: say what happened, keep the detail in the worker's log.
    logger.warning("Unexplained sync error %s: %.200s", name, exc)
    return ("Something unexpected stopped this; nothing was written for it.",
            "Retry. If it fails again, ask your administrator to look at the worker's log at this time.")


def _which(exc: Exception) -> str:
    module = type(exc).__module__
    return "Procore" if module.startswith("procore") else "Xero" if module.startswith("xero") else "The other system"


def _what_went_wrong(name: str) -> str:
    """The detail stays in the worker's log: a person reads what happened, not the library's text."""
    if "Outcome" in name:
        return "did not confirm whether it took the change (its answer was lost); it is checked before any resend"
    if "Server" in name or "Unavailable" in name:
        return "had a problem of its own (a server error) and did not take the call"
    return "could not be reached (no answer in time, or the network failed)"


def _infrastructure(exc: Exception) -> tuple[str, str] | None:
    """The connector's own database or Redis failed: not the record, not Procore, not Xero."""
    from django.db import InterfaceError, OperationalError, ProgrammingError
    from redis.exceptions import RedisError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return ("The connector's own database did not answer (it may be down, full or busy). Nothing was sent "
                "twice.", "Ask whoever runs the connector to check its database; the run is retried later.")
    if isinstance(exc, ProgrammingError):
        return ("The connector's own database refused a statement (its connection was cut off mid-way, or the "
                "connector is newer than its database). Nothing was sent twice.",
                "Retry. If it fails again, ask whoever runs the connector to check that its migrations ran.")
    if isinstance(exc, RedisError):
        return ("The connector's Redis server (its queue and shared rate budget) could not be reached. Nothing "
                "was sent twice.", "Ask whoever runs the connector to check Redis; the run is retried later.")
    return None
