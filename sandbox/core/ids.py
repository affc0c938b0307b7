"""The ids an emulator gives the records its API creates: random uuids, as Xero's, unless a caller asked for a
repeatable sequence (`POST /_sandbox/ids {"seed": n}`).

The benchmark's bare replay asks for it: from the same data and the same seed, the same calls in the same order
are answered with the same ids, so the bills the replay re-creates get the ids the connector's attachments and
updates were sent to, and the replay does the same work rather than answering 404. A reset or a state loaded
from disk draws random ids again, so no id is ever repeated by accident (a demo's connector database may still
link the ids of before a reset)."""

from __future__ import annotations

import random
import uuid
from contextvars import ContextVar

# The generator of the state whose request is being answered (each emulator sets it per request).
CURRENT: ContextVar[random.Random | None] = ContextVar("sandbox_ids", default=None)


def repeatable(seed) -> random.Random:
    return random.Random(f"ids:{seed}")


def new_uuid() -> str:
    generator = CURRENT.get()
    if generator is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=generator.getrandbits(128), version=4))
