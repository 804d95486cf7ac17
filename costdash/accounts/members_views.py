"""The Members page (admins): every login with its role, developer, last sign-in and state; invite by e-mail,
change the role, link the developer, deactivate, reactivate, send an invite again. Each form calls one
function of accounts.members. Also the invite link's page (public: the link is the credential), where the
invitee chooses a password, as a password-reset link does."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from . import members, roles
from .models import Developer


def _admin(request) -> None:
    roles.require_admin(request.user, "Only admins manage members.")


@login_required
def member_list(request):
    _admin(request)
    rows = [{"user": user, "role": members.member_role(user), "pending": members.invite_pending(user),
             "developer": getattr(user, "developer", None)} for user in members.members_list()]
    return render(request, "accounts/members.html", {
        "rows": rows, "roles": members.ROLES.items(), "new_developer": members.NEW_DEVELOPER,
        "unlinked": Developer.objects.filter(user=None).order_by("email"),
    })


def _done(request, action):
    """Run ``action`` (members service calls, returning what to tell the admin); its ValidationError or
    InviteNotSent becomes the message instead. Back to the Members page, or to People when asked from there."""
    try:
        said = action()
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except members.InviteNotSent as exc:
        messages.warning(request, f"The login exists, but {exc}.")
    else:
        messages.success(request, said)
    people = reverse("accounts:unassigned")
    return redirect(people if request.POST.get("next") == people else "accounts:members")


@login_required
@require_POST
def member_invite(request):
    _admin(request)
    email = request.POST.get("email", "").strip()
    role = request.POST.get("role", roles.DEVELOPER)
    developer = request.POST.get("developer", members.NEW_DEVELOPER)

    def invite() -> str:
        user = members.member_invite(email=email, role=role, developer=developer, by=request.user)
        return f"Invited {user.email} as {role}: they choose a password from the link e-mailed to them."

    return _done(request, invite)


def _member(request, user_id: int):
    _admin(request)
    return get_object_or_404(get_user_model(), pk=user_id)


@login_required
@require_POST
def member_role(request, user_id: int):
    user, role = _member(request, user_id), request.POST.get("role", "")

    def change() -> str:
        members.member_role_set(user, role, by=request.user)
        return f"{user.get_username()} is now {role}."

    return _done(request, change)


@login_required
@require_POST
def member_developer(request, user_id: int):
    user = _member(request, user_id)

    def link() -> str:
        developer = members.developer_choice(request.POST.get("developer", ""), user.email or user.username)
        members.member_developer_link(user, developer, by=request.user)
        return f"{user.get_username()} is linked to {developer or 'no developer'}."

    return _done(request, link)


@login_required
@require_POST
def member_deactivate(request, user_id: int):
    user = _member(request, user_id)

    def deactivate() -> str:
        members.member_deactivate(user, by=request.user)
        return f"{user.get_username()} is deactivated: they cannot sign in, and their API tokens are refused."

    return _done(request, deactivate)


@login_required
@require_POST
def member_reactivate(request, user_id: int):
    user = _member(request, user_id)

    def reactivate() -> str:
        members.member_reactivate(user, by=request.user)
        return f"{user.get_username()} is active again."

    return _done(request, reactivate)


@login_required
@require_POST
def member_invite_resend(request, user_id: int):
    user = _member(request, user_id)

    def resend() -> str:
        members.member_invite_resend(user, by=request.user)
        return f"A new invite link is on its way to {user.email}; the links sent before no longer work."

    return _done(request, resend)


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """Django's password-reset confirmation with the invite's tokens (accounts.members.invite_tokens): the
    link works once, for COSTDASH_INVITE_DAYS days, and not for a deactivated login."""

    token_generator = members.invite_tokens
    template_name = "registration/invite_confirm.html"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        super().form_valid(form)
        messages.success(self.request, f"Your password is set: sign in as {form.user.get_username()}.")
        return redirect("login")


urlpatterns = [
    path("invite/<uidb64>/<token>/", InviteAcceptView.as_view(), name="invite_accept"),
]
