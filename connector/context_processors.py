from .selectors import connections_needing_attention


def connection_alerts(request):
    """Connections that need re-authorisation, for the banner on every admin page."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff and request.path.startswith("/admin")):
        return {}
    return {"connections_needing_attention": list(connections_needing_attention())}
