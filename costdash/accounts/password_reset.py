"""Password reset by e-mail: Django's own views (a signed, single-use, expiring link; an unknown
address gets the same page and no e-mail), with the link built on COSTDASH_BASE_URL, as alert
e-mails are, never on the Host header of the request that asked for it."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        self.extra_email_context = {"base_url": settings.COSTDASH_BASE_URL}
        return super().form_valid(form)


urlpatterns = [
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
