"""Admin screens, one module per area; importing them registers them."""

from . import audit, connection, home, job_costs, links, runs  # noqa: F401
