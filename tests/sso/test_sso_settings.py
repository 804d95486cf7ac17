"""The SSO settings fail loudly at start-up on a combination that cannot work (settings.py), and are off by
default."""
import os
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env) -> subprocess.CompletedProcess:
    """Import costdash.settings in a fresh interpreter with these variables (the test run's own are kept out)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COSTDASH_OIDC_", "COSTDASH_PASSWORD_LOGIN",
                                                                      "COSTDASH_BREAK_GLASS"))}
    code = ("import costdash.settings as s; print(s.COSTDASH_SSO_ENABLED, s.COSTDASH_OIDC_ISSUER, "
            "s.COSTDASH_BREAK_GLASS_USERNAMES)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**base, "DJANGO_DEBUG": "true", **env})


def test_off_by_default():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "False  []"


def test_on_with_an_issuer_its_discovery_url_trimmed_to_the_issuer():
    result = load_settings(COSTDASH_OIDC_ISSUER="https://idp.example.com/realms/acme/.well-known/openid-configuration",
                           COSTDASH_OIDC_CLIENT_ID="costdash", COSTDASH_OIDC_CLIENT_SECRET="s3cret",
                           COSTDASH_PASSWORD_LOGIN="false", COSTDASH_BREAK_GLASS_USERNAMES="root, ops")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "True https://idp.example.com/realms/acme ['root', 'ops']"


@pytest.mark.parametrize("env, message", [
    ({"COSTDASH_OIDC_ISSUER": "https://idp.example.com"}, "COSTDASH_OIDC_CLIENT_ID and COSTDASH_OIDC_CLIENT_SECRET"),
    ({"COSTDASH_OIDC_ISSUER": "idp.example.com", "COSTDASH_OIDC_CLIENT_ID": "c", "COSTDASH_OIDC_CLIENT_SECRET": "s"},
     "must be an http(s) URL"),
    ({"COSTDASH_PASSWORD_LOGIN": "false"}, "single sign-on is not configured"),
    ({"COSTDASH_OIDC_SCOPES": "email profile"}, "must include openid"),
])
def test_a_setting_that_cannot_work_stops_start_up(env, message):
    result = load_settings(**env)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and message in result.stderr
