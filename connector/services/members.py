"""People of a connection: a company admin adds someone by e-mail with a role, changes it, or removes them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ..errors import ConnectorError
from ..models import AuditEntry, Connection, Membership
from .audit import audit_record


class MemberError(ConnectorError):
    pass


def member_add(*, connection: Connection, email: str, role: str, by) -> Membership:
    """Add the person with this e-mail (an account is made for a new one, who is e-mailed a link to choose a
    password) or change the role of one already there."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise MemberError("Type the person's e-mail address.") from exc
    if role not in Membership.Role.values:
        raise MemberError("Pick a role.")
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).order_by("pk").first()
        created = user is None
        if created and User.objects.filter(username__iexact=email[:150]).exists():
            raise MemberError(f"An account named {email} exists with another e-mail address; a superuser can "
                              "correct its e-mail address, then add it here.")
        if created:
            user = User(username=email[:150], email=email, is_staff=True)
            user.set_unusable_password()
            user.save()
        elif not user.is_staff:
            user.is_staff = True  # the connector is used through the admin
            user.save(update_fields=["is_staff"])
        membership, _ = Membership.objects.update_or_create(connection=connection, user=user,
                                                            defaults={"role": role, "added_by": by})
        audit_record(user=by, connection=connection, action=AuditEntry.Action.MEMBER_ADDED,
                     summary=f"{email} is now {membership.get_role_display().lower()} of {connection}.")
        if created:
            transaction.on_commit(lambda: _welcome(user, connection, membership))
    return membership


def member_remove(*, connection: Connection, membership_id: int, by) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(connection=connection, pk=membership_id).first()
        if membership is None:
            raise MemberError("That person is not on this connection.")
        admins = connection.memberships.filter(role=Membership.Role.COMPANY_ADMIN)
        if membership.role == Membership.Role.COMPANY_ADMIN and admins.count() == 1:
            raise MemberError("A connection keeps at least one company admin (they get its e-mails); "
                              "make someone else company admin first.")
        label = membership.user.email or membership.user.username
        membership.delete()
        audit_record(user=by, connection=connection, action=AuditEntry.Action.MEMBER_REMOVED,
                     summary=f"{label} removed from {connection}.")


def _welcome(user, connection: Connection, membership: Membership) -> None:
    link = settings.SITE_URL + reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    send_mail(subject=f"You were added to {connection}",
              message=f"You are now {membership.get_role_display().lower()} of {connection} in the Procore ⇄ "
                      f"Xero connector. Choose your password here: {link}\nYour username is {user.username}.",
              from_email=None, recipient_list=[user.email], fail_silently=True)
