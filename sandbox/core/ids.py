"""The ids an emulator gives the records its API creates.

Random, except after a reset: then they follow the reset's seed, so the same calls sent in the same order to
the same fresh dataset are answered with the same ids. The benchmark's bare replay relies on it: the bills it
re-creates get the ids the connector's attachments and updates were sent to, so the replay does the same work
rather than answering 404. A state loaded from disk draws random ids again (its rows came from an earlier
sequence)."""

from __future__ import annotations

import random
import uuid
from contextvars import ContextVar

# The generator of the state whose request is being answered (each emulator sets it per request).
CURRENT: ContextVar[random.Random | None] = ContextVar("sandbox_ids", default=None)


def seeded(seed) -> random.Random:
    return random.Random(f"ids:{seed}")


def new_uuid() -> str:
    generator = CURRENT.get()
    if generator is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=generator.getrandbits(128), version=4))
