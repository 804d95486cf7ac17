from django import forms
from django.conf import settings

from .models import IngestToken
from .upload_checks import holds_transcripts

ACCEPTED = (".jsonl", ".json", ".ndjson", ".csv", ".zip", ".tar.gz", ".tgz", ".tar")


class TranscriptUploadForm(forms.Form):
    file = forms.FileField(
        help_text="A Claude Code transcript (.jsonl), or a .zip / .tar.gz of a ~/.claude/projects folder "
        "(subagent files included)."
    )
    developer_email = forms.EmailField(
        required=False,
        help_text="Whose transcripts these are (they name nobody). Other formats (LiteLLM logs, OpenTelemetry "
        "exports) name their own people: leave it empty for those.",
    )

    def __init__(self, *args, can_choose_developer: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_choose_developer:
            del self.fields["developer_email"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(f"{upload.name}: expected one of {', '.join(ACCEPTED)}")
        if upload.size > settings.COSTDASH_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"{upload.name} is {upload.size:,} bytes; the limit is {settings.COSTDASH_UPLOAD_MAX_BYTES:,}"
            )
        return upload

    def clean(self):
        """An admin's upload of transcripts must name whose they are (transcripts name nobody): refused
        here, before it is stored, instead of an import that rejects every line."""
        data = super().clean()
        upload = data.get("file")
        named = data.get("developer_email") or "developer_email" in self.errors
        if "developer_email" in self.fields and upload and not named and holds_transcripts(upload):
            self.add_error("developer_email", "This file holds Claude Code transcripts, which do not say whose they "
                           "are: enter the developer's email.")
        return data


class IngestTokenForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="What will use it, e.g. 'OTel collector' or 'Ana's laptop'.")
    kind = forms.ChoiceField(choices=IngestToken.Kind.choices)
    developer_email = forms.EmailField(required=False, help_text="For a transcript push token: whose transcripts.")

    def clean(self):
        data = super().clean()
        if data.get("kind") == IngestToken.Kind.TRANSCRIPTS and not data.get("developer_email"):
            self.add_error("developer_email", "A transcript push token belongs to one developer: name them.")
        return data
