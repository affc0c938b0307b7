"""Company matching, per connection: unlinked Procore companies and Xero contacts, suggested pairs,
and the buttons (link all suggested, link by hand, unlink, export, import, archive). The view only reads the
form and calls sync.vendor_actions; the vendor sync does the remote writes.
"""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from ..models import Connection, ConnectionSettings, Kind, Link
from ..selectors import member_can
from ..services.unlink import unlink_vendor
from ..services.vendors import (
    VendorActionError,
    archive,
    export_vendor,
    import_contact,
    link_by_hand,
    link_suggested_all,
    linked_companies,
    matching_board,
)
from .access import connection_permission
from .paging import PICK_MAX, matches, matching_page, search_term

VIEW, ACT = "view_connection", "approve_exports"


@connection_permission(VIEW, post=ACT)
def companies(request, connection_id: int):
    connection = get_object_or_404(Connection, pk=connection_id)
    if request.method == "POST":
        _act(request, connection)
        return redirect("admin:connector_connection_companies", connection.pk)
    settings = ConnectionSettings.objects.get_or_create(connection=connection)[0]
    board = matching_board(connection)
    return TemplateResponse(request, "admin/connector/vendors/matching.html", {
        **admin.site.each_context(request), "opts": Connection._meta, "connection": connection,
        "title": "Company matching", "subtitle": str(connection), "board": board,
        "can_act": member_can(request.user, connection, ACT), "settings": settings, **matching_page(request, board),
        "pick_linked": _linked_picks(request, connection),
    })


def _act(request, connection) -> None:
    action, user = request.POST.get("action", ""), request.user
    picked = lambda name: _links(connection, request.POST.getlist(name))  # noqa: E731
    try:
        if action == "link_suggested":
            _report(request, "Linked", link_suggested_all(connection, user))
        elif action == "link":
            procore, xero = picked("procore"), picked("xero")
            if len(procore) != 1 or len(xero) != 1:
                raise VendorActionError("Pick one Procore company and one Xero contact to link.")
            link = link_by_hand(connection, procore[0], xero[0], user)
            contact = link.xero_snapshot.get("name")
            messages.success(request, f"Linked “{link.label}” to the Xero contact “{contact}”.")
        elif action == "export":
            outcome = export_vendor(picked("procore_ids"), user)
            waiting = any(l.state == Link.State.AWAITING_APPROVAL for l in outcome.done)
            _report(request, "Waiting for approval in the queue" if waiting else "Export queued", outcome)
        elif action == "import":
            _report(request, "Queued for import", import_contact(picked("xero_ids"), user))
        elif action == "unlink":
            linked = picked("linked")
            if len(linked) != 1:
                raise VendorActionError("Pick one linked company to unlink.")
            done = unlink_vendor(connection, linked[0], user)
            messages.success(request, f"Unlinked “{done.procore.label}” from the Xero contact “{done.xero.label}”: "
                                      "both are listed below as not linked, and nothing is exported until you "
                                      "link or export them.")
            if done.warning:
                messages.warning(request, done.warning)
        elif action == "archive":
            _report(request, "Archived", archive(picked("procore_ids") + picked("xero_ids"), user))
        else:
            messages.error(request, "Unknown action.")
    except VendorActionError as exc:
        messages.error(request, str(exc))


def _linked_picks(request, connection) -> list[Link]:
    term = search_term(request)
    return [l for l in linked_companies(connection) if matches(term, l.label, l.xero_snapshot.get("name"))][:PICK_MAX]


def _links(connection, ids) -> list[Link]:
    ids = [int(i) for i in ids if str(i).isdigit()]
    return list(Link.objects.filter(connection=connection, kind=Kind.VENDOR, pk__in=ids))


def _report(request, verb: str, outcome) -> None:
    if outcome.done:
        messages.success(request, f"{verb}: {len(outcome.done)}.")
    elif not outcome.refused:
        messages.warning(request, "Nothing selected.")
    for reason in outcome.refused:
        messages.warning(request, reason)

