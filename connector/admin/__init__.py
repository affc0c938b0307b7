"""Admin screens, one module per area; importing them registers them."""

from . import connection, links, runs  # noqa: F401
from . import vendors  # noqa: F401,E402  (Company matching page; extends the connection admin)
