"""Procore emulator: `ProcoreState` (in-memory, seeded) and `create_app(state, validate_contract=False)`.

Login host (same server): /oauth/authorize (consent page), /oauth/token, /oauth/token/info, /oauth/revoke.
API: /rest/v1.0 and /rest/v1.1 paths of specs/procore/procore-endpoints.json (copied under spec/).
Control surface, besides the shared JSON /_sandbox/reset|stats|faults|data/<table>|save:
  GET  /_sandbox/                  HTML console (clients, records, forms that act through the API)
  GET  /_sandbox/clients           OAuth clients (id, secret, redirect URIs, company ids);  POST adds one
  POST /_sandbox/oauth/revoke      revoke every token (or {"client_id"}'s);  POST /_sandbox/oauth/expire
  GET|POST /_sandbox/settings      token_lifetime_s, hourly_limit, spike_limit, max_per_page, page_size,
                                   link_headers, total_headers, sync_max_bytes, webhook_autodeliver…
  POST /_sandbox/clock/advance     {"seconds": n}: rate-limit windows, token expiry and webhook backoff move on
  POST /_sandbox/webhooks/flush    deliver what is due now ({"force": true} ignores backoff)
  POST /_sandbox/act/<action>      create_project, create_vendor, approve_commitment, approve_change_order,
                                   approve_invoice — a Procore user's clicks, through the public API
Signed attachment links: GET /storage/<id>/<file name>?sig=… (no bearer token). README.md lists the rules and
every known difference from Procore. Redirect URIs of the default client: urn:ietf:wg:oauth:2.0:oob and /oauth/procore/callback/ on any loopback
origin (http://127.0.0.1:<port> or http://localhost:<port>), a sandbox convenience.
"""

from .app import create_app
from .seed import SEED_NOW
from .state import CLIENT_ID, CLIENT_SECRET, ProcoreState

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "SEED_NOW", "ProcoreState", "create_app"]
