"""Demo data: realistic Claude Code transcripts for a made-up team, and a benchmark corpus."""
