"""Admin screens, one module per area; importing them registers them."""

from . import (  # noqa: F401
    connection,
    job_costs,  # noqa: F401,E402  (job cost opt-in actions on the records list)
    links,
    runs,
)
