from urllib.parse import urlsplit

from django import forms

from costdash.lib.http import secret_may_go_to

from .models import DEFAULT_BASE_URL, AdminApiConnection

KEY_PREFIX = "sk-ant-admin"


class AdminApiConnectionForm(forms.ModelForm):
    """A connection; the admin key is write-only: never rendered back. Blank on edit keeps the stored
    one, unless the base URL changed: the key then goes no further than the address it was entered for
    (it is cleared, services.connection_save, and must be entered again). The base URL is https, or
    plain http to a loopback host only when COSTDASH_CONNECTOR_ALLOW_HTTP_LOOPBACK is on."""

    admin_key = forms.CharField(
        required=False, strip=True, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="An Admin API key (sk-ant-admin01-…) from Console → Settings → Admin keys. It is stored "
        "encrypted and never shown again.",
    )

    class Meta:
        model = AdminApiConnection
        fields = ["name", "base_url", "enabled", "pull_usage", "pull_cost", "pull_claude_code", "start_date"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}

    base_url = forms.URLField(assume_scheme="https", initial=DEFAULT_BASE_URL,
                              help_text="Leave as it is unless you go through a proxy (https only). Changing it "
                              "clears the stored key: enter the key again with it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A callable model default would add a hidden "initial" copy of the start date; compare
        # against the stored value instead, so changed_data says whether the date really changed.
        self.fields["start_date"].show_hidden_initial = False
        if self.instance.pk:
            stored = self.instance.key_hint if self.instance.key_ciphertext else "none (enter the key again)"
            self.fields["admin_key"].help_text = (
                f"Stored: {stored}. Leave empty to keep it, or paste a new key to replace it. Changing the base "
                "URL clears the stored key: paste it again."
            )

    def clean_base_url(self):
        url = self.cleaned_data["base_url"]
        if not secret_may_go_to(url):
            # The key would travel in clear: only https (loopback http is a test-only setting).
            raise forms.ValidationError("Use an https:// address: the admin key is never sent over plain http.")
        if urlsplit(url).username or urlsplit(url).password:
            raise forms.ValidationError("Leave credentials out of the address: the key is sent in its own header.")
        return url

    @property
    def key_cleared(self) -> bool:
        """Whether saving clears the stored key: an existing connection's base URL changed, no new key."""
        return bool(self.instance.pk and "base_url" in self.changed_data and not self.cleaned_data.get("admin_key"))

    def clean_admin_key(self):
        key = self.cleaned_data["admin_key"]
        if not key:
            if not self.instance.pk:
                raise forms.ValidationError("An admin key is needed to pull.")
            return ""
        if not key.startswith(KEY_PREFIX) or any(c.isspace() for c in key):
            # Never echo the value: it may be a real secret of another kind.
            raise forms.ValidationError("That is not an Admin API key: they start with sk-ant-admin.")
        return key

    def clean(self):
        data = super().clean()
        if not (data.get("pull_usage") or data.get("pull_cost") or data.get("pull_claude_code")):
            raise forms.ValidationError("Choose at least one thing to pull.")
        return data
