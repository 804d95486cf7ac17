from django import forms

from .models import DEFAULT_BASE_URL, AdminApiConnection

KEY_PREFIX = "sk-ant-admin"


class AdminApiConnectionForm(forms.ModelForm):
    """A connection; the admin key is write-only: never rendered back, blank on edit keeps the stored one."""

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
                              help_text="Leave as it is unless you go through a proxy.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A callable model default would add a hidden "initial" copy of the start date; compare
        # against the stored value instead, so changed_data says whether the date really changed.
        self.fields["start_date"].show_hidden_initial = False
        if self.instance.pk:
            self.fields["admin_key"].help_text = (
                f"Stored: {self.instance.key_hint}. Leave empty to keep it, or paste a new key to replace it."
            )

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
