"""One app "server" process for tests/state/test_two_servers.py: runs the real app script
(Streamlit's AppTest) once, doing one thing, and prints what it saw as one JSON line.

    python tests/state/app_process.py sign_in USER PASSWORD
    python tests/state/app_process.py save_cut USER
    python tests/state/app_process.py list_cuts USER
"""

import json
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def main(action: str, *args: str) -> dict:
    from rfa_dash import auth
    from rfa_dash.page_registry import PAGES

    at = AppTest.from_file(APP, default_timeout=120)
    if action == "sign_in":
        at.run()
        at.text_input(key="signin_user").input(args[0])
        at.text_input(key="signin_password").input(args[1])
        at.button[0].click()
        at.run()
        return {"errors": [e.value for e in at.error], "signed_in": "user" in at.session_state}
    at.session_state["user"] = auth.account(args[0])   # as the sign-in form leaves it
    at.run()
    at.switch_page(PAGES["report"].file).run()
    if action == "save_cut":
        at.button(key="save_cut").click().run()
        return {"said": [s.value for s in at.success] + [i.value for i in at.info]}
    frames = [d.value for d in at.dataframe]
    cut_lists = [f["Cut"].tolist() for f in frames if "Cut" in f.columns]
    return {"cuts": cut_lists[0] if cut_lists else [], "exception": bool(at.exception)}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from tests.helpers import run_pages_like_the_server

    run_pages_like_the_server()
    print(json.dumps(main(sys.argv[1], *sys.argv[2:])))
