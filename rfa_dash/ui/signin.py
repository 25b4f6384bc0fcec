"""Sign-in: local accounts (the signed users file) or an identity provider (OIDC).

Without a users file the app runs in demo mode: the bundled sample only, the
role chosen in the sidebar.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from rfa_dash import auth, settings, signin_guard
from rfa_dash.protocol import Protocol


def gate() -> None:
    """The page shown while there is nothing else to show: the sign-in form or a hint."""
    path = auth.users_path()
    if st.session_state.get("_gate") == "sign_in" and path is not None:
        _sign_in_form(path)
    elif st.session_state.get("_gate") == "export":
        st.title("rfa_dash")
        st.info("Choose an export in the sidebar.")


def _sign_in_form(path: Path) -> None:
    st.title("rfa_dash: sign in")
    with st.form("sign_in"):
        username = st.text_input("User name", key="signin_user")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        name = signin_guard.normalize(username)
        ip = st.context.ip_address
        client = ip if isinstance(ip, str) and ip else "unknown"
        keys = [f"user:{name}", f"client:{client}"]
        wait = signin_guard.THROTTLE.blocked(keys)
        if wait:
            auth.audit("sign_in_throttled", name, "", detail=f"client {client}")
            st.error("Too many failed sign-ins for this user name or from this computer; "
                     f"try again in {max(1, round(wait / 60))} minute(s).")
            return
        try:
            user = auth.authenticate(path, name, password)
        except auth.AuthError as exc:
            st.error(str(exc))
            return
        if user is None:
            signin_guard.THROTTLE.failed(keys)
            auth.audit("sign_in_failed", name, "", detail=f"client {client}")
            time.sleep(1.5)  # slows down guessing
            st.error("Wrong user name or password.")
            return
        signin_guard.THROTTLE.succeeded([f"user:{name}"])
        auth.audit("sign_in", user.username, user.role, detail=f"client {client}")
        st.session_state["user"] = user
        st.rerun()


def identity(protocol: Protocol) -> tuple[auth.User | None, bool]:
    """The signed-in user and whether the app runs in demo mode (no users file)."""
    path = auth.users_path()
    if path is None:
        return auth.User("demo", "", ""), True
    signed_in = st.session_state.get("user")
    try:
        # read on every rerun: a removed account or a changed role ends the session
        auth.load_users(path)
        current = auth.account(path, signed_in.username) if signed_in else None
    except auth.AuthError as exc:
        st.error(str(exc))
        return None, False
    if signed_in is not None and current != signed_in:
        st.session_state.pop("user", None)
        auth.audit("signed_out", signed_in.username, signed_in.role,
                   detail="account removed or changed in the users file")
        st.warning("Your account was changed or removed; sign in again.")
    if settings.oidc():
        if not st.user.is_logged_in:
            st.title("rfa_dash")
            st.button("Sign in with your identity provider", on_click=st.login)
            return None, False
        user = auth.user_by_email(path, str(st.user.get("email", "")))
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
    return user, False


def sign_out() -> None:
    user = st.session_state.pop("user", None)
    if user:
        auth.audit("sign_out", user.username, user.role)
    if settings.oidc():
        st.logout()
