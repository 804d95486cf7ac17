#!/usr/bin/env python
"""Django's command-line utility for costdash."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "costdash.settings")
    if sys.argv[1:2] == ["import_usage"]:
        # A re-import of transcripts that are all as the last import left them is done without setting
        # Django up; anything else returns False, having written nothing (costdash/ingest/fast_reimport.py).
        from costdash.ingest.fast_reimport import reimport_unchanged

        if reimport_unchanged(sys.argv[2:]):
            sys.exit(0)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
