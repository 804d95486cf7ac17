from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .backends import password_login_allowed_for
from .config import provider_name, sso_enabled
from .models import GroupRoleMapping


class LoginForm(AuthenticationForm):
    """The login page's form: with password login off (COSTDASH_PASSWORD_LOGIN), a login that is not a
    break-glass superuser is told to use single sign-on, before any password is checked."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and not password_login_allowed_for(username):
            where = f"“Sign in with {provider_name()}”" if sso_enabled() else "single sign-on"
            raise forms.ValidationError(f"Password sign-in is turned off: use {where}.", code="password_login_off")
        return super().clean()


class GroupRoleMappingForm(forms.ModelForm):
    class Meta:
        model = GroupRoleMapping
        fields = ["claim_value", "role"]
        labels = {"claim_value": "Group (value of the groups claim)", "role": "Role"}

    def clean_claim_value(self):
        value = self.cleaned_data["claim_value"].strip()
        if not value:
            raise forms.ValidationError("Name the group as the identity provider sends it.")
        return value
