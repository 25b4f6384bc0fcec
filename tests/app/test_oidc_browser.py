"""Sign-in through a real OpenID Connect provider on loopback, in headless Chromium.

The provider is oidc-provider-mock (from PyPI: a real OIDC server with
discovery, authorization code flow, token endpoint and JWKS, whose login form
takes the subject to sign in as). The app runs with ``RFA_DASH_AUTH=oidc`` and
an ``[auth]`` secrets file pointing Streamlit's ``st.login`` at it, as an
institution's deployment would point it at its own provider.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import pytest

from rfa_dash import auth
from tests.app.test_browser import IDLE, ROOT, SHOTS, _free_port
from tests.app.test_browser import browser as browser  # noqa: F401 - the fixture

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
SECRET = "oidc-test-secret"


@contextmanager
def _app_with_provider(tmp_path):
    with oidc_provider_mock.run_server_in_thread() as idp:
        issuer = f"http://localhost:{idp.server_port}"
        port = _free_port()
        # the documented example, pointed at this machine's provider and server
        text = (ROOT / "docs" / "examples" / "secrets.toml").read_text()
        for key, value in (("redirect_uri", f"http://localhost:{port}/oauth2callback"),
                           ("cookie_secret", "a-long-random-cookie-secret-for-the-test"),
                           ("server_metadata_url",
                            f"{issuer}/.well-known/openid-configuration")):
            text, n = re.subn(rf'^{key} = ".*"$', f'{key} = "{value}"', text, flags=re.M)
            assert n == 1, key
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(text)
        state = os.environ["RFA_DASH_STATE_URL"]     # the test's own store, shared
        os.environ["RFA_DASH_SECRET"] = SECRET
        auth.add_user("dana", "a long password 1", "dsmb", "dana@example.org")
        auth.add_user("cora", "a long password 2", "coordinator", "cora@example.org")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RFA_DASH_")}
        env.update(RFA_DASH_AUTH="oidc", RFA_DASH_STATE_URL=state, RFA_DASH_SECRET=SECRET)
        log = open(tmp_path / "streamlit.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "rfa_dash", "serve", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(180):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            yield f"http://localhost:{port}", issuer, state
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()


def _sign_in(page, app, issuer, email):
    page.goto(app + "/")
    page.get_by_role("button", name="Sign in with your identity provider").click()
    page.wait_for_url(f"{issuer}/**", timeout=30000)
    page.fill("input[name=sub]", email)      # the provider's own login form
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app}/**", timeout=30000)
    page.wait_for_timeout(1000)
    page.wait_for_function(IDLE, timeout=60000)


def test_sign_in_through_the_provider(tmp_path, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with _app_with_provider(tmp_path) as (app, issuer, users):
        ctx = browser.new_context()
        page = ctx.new_page()
        # the role comes from the account, by the e-mail the provider returns
        _sign_in(page, app, issuer, "dana@example.org")
        page.get_by_role("heading", name="Overview", level=1).wait_for(timeout=60000)
        assert "Signed in as dana (DSMB member)" in page.inner_text("section")
        page.screenshot(path=str(SHOTS / "oidc_signed_in.png"), full_page=True)
        # a removed account's session ends at its next interaction
        assert auth.remove_user("dana")
        page.locator('[data-testid="stSidebarNav"] a', has_text="Accrual").first.click()
        page.get_by_text("Your account has no role in this dashboard").wait_for(timeout=60000)
        assert page.get_by_role("heading", name="Accrual", level=1).count() == 0
        ctx.close()
        # an e-mail with no account is refused
        ctx = browser.new_context()
        page = ctx.new_page()
        _sign_in(page, app, issuer, "mallory@example.org")
        page.get_by_text("Your account has no role in this dashboard").wait_for(timeout=60000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.get_by_role("button", name="Sign out (to sign in with another account)") \
            .count() == 1
        page.screenshot(path=str(SHOTS / "oidc_unknown_email.png"), full_page=True)
        ctx.close()
        # sign-out ends the session: the sign-in button again, the pages gone
        ctx = browser.new_context()
        page = ctx.new_page()
        _sign_in(page, app, issuer, "cora@example.org")
        page.get_by_role("heading", name="Overview", level=1).wait_for(timeout=60000)
        assert "(Study coordinator)" in page.inner_text("section")
        page.get_by_role("button", name="Sign out").click()
        # Streamlit ends the provider's session too (RP-initiated logout): its page asks
        page.wait_for_url(f"{issuer}/**", timeout=30000)
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{app}/**", timeout=30000)
        page.get_by_role("button", name="Sign in with your identity provider").wait_for(
            timeout=60000)
        page.goto(app + "/accrual")
        page.get_by_role("button", name="Sign in with your identity provider").wait_for(
            timeout=60000)
        assert page.get_by_role("heading", name="Accrual", level=1).count() == 0
        ctx.close()
    from tests.helpers import audit_entries

    log = {(e["action"], e["user"], e["detail"]) for e in audit_entries()}
    assert ("sign_in", "dana", "oidc") in log and any(a == "sign_out" for a, _, _ in log)
    assert any(a == "signed_out" for a, _, _ in log)    # dana's session, ended by the removal
    assert ("sign_in_refused", "mallory@example.org", "oidc") in log
