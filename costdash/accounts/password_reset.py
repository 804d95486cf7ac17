"""Password reset by e-mail: Django's own views (a signed, single-use, expiring link; an unknown
address gets the same page and no e-mail), with the link built on COSTDASH_BASE_URL, as alert
e-mails are, never on the Host header of the request that asked for it."""
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        self.extra_email_context = {"base_url": settings.COSTDASH_BASE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        """A new password set from the e-mailed link also lifts a login lockout of that username (the
        owner proved they hold the mailbox; an attacker's lockout of them ends here)."""
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


urlpatterns = [
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
