"""Search and paging for the long lists of the connector's own pages (company matching, older projects).

Lists are paged with Django's Paginator; each list has its own page parameter so paging one keeps the others."""

from __future__ import annotations

from django.core.paginator import Paginator

PER_PAGE = 50
PICK_MAX = 200  # options in a "link by hand" list: beyond that, search narrows it


def search_term(request) -> str:
    return (request.GET.get("q") or "").strip()[:100]


def matches(term: str, *texts) -> bool:
    folded = term.casefold()
    return not folded or any(folded in (text or "").casefold() for text in texts)


def page_of(request, items, param: str, per_page: int = PER_PAGE) -> dict:
    """One page of `items` with its links; the other parameters (search, other lists' pages) are kept."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))

    def url(number):
        query = request.GET.copy()
        query[param] = number
        return f"?{query.urlencode()}"

    return {"items": page.object_list, "count": page.paginator.count, "number": page.number,
            "pages": page.paginator.num_pages, "first": page.start_index(), "last": page.end_index(),
            "previous": url(page.previous_page_number()) if page.has_previous() else "",
            "next": url(page.next_page_number()) if page.has_next() else ""}


def matching_page(request, board) -> dict:
    """The matching board, searched (name, e-mail, tax number) and paged per list."""
    term = search_term(request)

    def party(p):
        return (p.name, p.email, p.tax_number)

    def link(l, snap):
        return (l.label, snap.get("email"), snap.get("tax_number"))

    suggestions = [s for s in board.suggestions if matches(term, *party(s.procore), *party(s.xero))]
    procore = [l for l in board.procore if matches(term, *link(l, l.procore_snapshot))]
    xero = [l for l in board.xero if matches(term, *link(l, l.xero_snapshot))]
    return {"q": term, "suggested": page_of(request, suggestions, "sp"), "procore_page": page_of(request, procore, "pp"),
            "xero_page": page_of(request, xero, "xp"), "pick_procore": procore[:PICK_MAX],
            "pick_xero": xero[:PICK_MAX], "pick_capped": len(procore) > PICK_MAX or len(xero) > PICK_MAX,
            "all_suggested": len(board.suggestions)}


def projects_page(request, projects: list[dict]) -> dict:
    term = search_term(request)
    found = [p for p in projects if matches(term, p.get("display_name"), p.get("name"), p.get("project_number"))]
    return {"q": term, "projects_page": page_of(request, found, "page"), "projects_total": len(projects)}
