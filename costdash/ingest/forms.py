from django import forms
from django.conf import settings

from .models import IngestToken

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


class IngestTokenForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="What will use it, e.g. 'OTel collector' or 'Ana's laptop'.")
    kind = forms.ChoiceField(choices=IngestToken.Kind.choices)
    developer_email = forms.EmailField(required=False, help_text="For a transcript push token: whose transcripts.")

    def clean(self):
        data = super().clean()
        if data.get("kind") == IngestToken.Kind.TRANSCRIPTS and not data.get("developer_email"):
            self.add_error("developer_email", "A transcript push token belongs to one developer: name them.")
        return data
