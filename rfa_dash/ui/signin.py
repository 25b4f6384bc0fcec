"""Sign-in: local accounts (in the state store) or an identity provider (OIDC).

Without accounts the app runs in demo mode: the bundled sample only, the role
chosen in the sidebar. A store that cannot be reached is one message, never a
traceback (and never demo mode).
"""

from __future__ import annotations

import time

import streamlit as st

from rfa_dash import auth, settings, signin_guard
from rfa_dash.protocol import Protocol
from rfa_dash.state import audit as trail
from rfa_dash.state import store
from rfa_dash.ui import outage


def gate() -> None:
    """The page shown while there is nothing else to show: the sign-in form or a hint."""
    if st.session_state.get("_gate") == "sign_in":
        _sign_in_form()
    elif st.session_state.get("_gate") == "export":
        st.title("rfa_dash")
        st.info("Choose an export in the sidebar.")


# In the URL of a signed-in session. Streamlit keeps a session in its server process: a
# restart (or an upgrade) ends it, and the browser reconnects to a new one with the same
# URL, so the mark says that this visitor had been signed in.
SESSION_MARK = "signed_in"


def _sign_in_form() -> None:
    st.title("rfa_dash: sign in")
    if st.query_params.get(SESSION_MARK):
        st.info("You were signed out: the dashboard's server was restarted (or your session "
                "ended). Sign in again.", icon=":material/restart_alt:")
        del st.query_params[SESSION_MARK]
    with st.form("sign_in"):
        username = st.text_input("User name", key="signin_user")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        _sign_in(signin_guard.normalize(username), password)


def _client() -> str:
    """The address this session came from (through a trusted proxy: the one it names)."""
    ip = st.context.ip_address
    forwarded = st.context.headers.get("X-Forwarded-For")
    return signin_guard.client_address(ip if isinstance(ip, str) and ip else None,
                                       forwarded, settings.trusted_proxies())


def _sign_in(name: str, password: str) -> None:
    """Check the password; the outcome and its audit entry are one write (a store that
    cannot take it within its wait refuses the sign-in with one plain message)."""
    client = _client()
    keys = signin_guard.keys(name, client)
    try:
        wait = signin_guard.THROTTLE.blocked(keys)
        if wait:
            auth.audit("sign_in_throttled", name, "", detail=f"client {client}")
            st.error("Too many failed sign-ins for this user name or from this computer; "
                     f"try again in {max(1, round(wait / 60))} minute(s).")
            return
        user = auth.authenticate(name, password)
        if user is None:
            with store.transaction() as conn:   # the failure and its entry together
                signin_guard.THROTTLE.failed(conn, keys)
                trail.append(conn, "sign_in_failed", name, "", detail=f"client {client}")
            time.sleep(1.5)  # slows down guessing
            st.error("Wrong user name or password.")
            return
        with store.transaction() as conn:       # the sign-in and its entry together
            signin_guard.THROTTLE.succeeded(conn, keys[:1])   # this name from here
            trail.append(conn, "sign_in", user.username, user.role, detail=f"client {client}")
    except auth.AuthError as exc:
        st.error(str(exc))
        return
    except store.StoreError as exc:
        outage.show(exc, "The sign-in")
        return
    st.session_state["user"] = user
    st.rerun()


def identity(protocol: Protocol) -> tuple[auth.User | None, bool]:
    """The signed-in user and whether the app runs in demo mode (no accounts)."""
    signed_in = st.session_state.get("user")
    try:
        if not auth.sign_in_required():
            return auth.User("demo", "", ""), True
        # read on every rerun: a removed account or a changed role ends the session
        current = auth.account(signed_in.username) if signed_in else None
    except store.StoreError as exc:
        outage.show(exc, None)
        return None, False
    if signed_in is not None and current != signed_in:
        st.session_state.pop("user", None)
        auth.audit("signed_out", signed_in.username, signed_in.role,
                   detail="account removed or changed")
        st.query_params.pop(SESSION_MARK, None)   # said here, not as a restart
        st.warning("Your account was changed or removed; sign in again.")
    if settings.oidc():
        if not st.user.is_logged_in:
            st.title("rfa_dash")
            st.button("Sign in with your identity provider", on_click=st.login)
            return None, False
        try:
            user = auth.user_by_email(str(st.user.get("email", "")))
        except store.StoreError as exc:
            outage.show(exc, None)
            return None, False
        if user is None:
            if not st.session_state.get("_refusal_logged"):   # once, not on every rerun
                auth.audit("sign_in_refused", str(st.user.get("email", "")), "",
                           detail="oidc")
                st.session_state["_refusal_logged"] = True
            st.error("Your account has no role in this dashboard; ask the study team.")
            st.button("Sign out (to sign in with another account)", on_click=st.logout)
            return None, False
        if st.session_state.get("user") != user:
            auth.audit("sign_in", user.username, user.role, detail="oidc")
            st.session_state["user"] = user
    user = st.session_state.get("user")
    if user is None:
        st.session_state["_gate"] = "sign_in"  # the router shows the form
        return None, False
    if user.role not in protocol.roles:
        st.error(f"The role {user.role!r} of {user.username} is not in the protocol file.")
        return None, False
    if not st.query_params.get(SESSION_MARK):
        st.query_params[SESSION_MARK] = "1"
    return user, False


def sign_out() -> None:
    user = st.session_state.pop("user", None)
    st.query_params.pop(SESSION_MARK, None)
    if user:
        auth.audit("sign_out", user.username, user.role)
    if settings.oidc():
        st.logout()
