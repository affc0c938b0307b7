"""Admin screens, one module per area; importing them registers them."""

from . import connection, links, runs  # noqa: F401
