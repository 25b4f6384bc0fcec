"""notify against a real SMTP server (aiosmtpd) on the loopback interface; what it receives
is read back with the standard library's e-mail parser."""

import datetime as dt
import email
import email.policy
import json
import socket
import ssl
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller

from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.notify.config import ConfigError, load_config
from rfa_dash.notify.run import notify
from rfa_dash.protocol import load_protocol
from rfa_dash.state import store
from tests.helpers import audit_entries, ledger, make_export, rand, screen

PROTOCOL = load_protocol()
ARM_WORDS = ["rfa_rt", "rt_alone", "RFA/BA + RT", "RT alone", "arm"]
OUTCOME_WORDS = ["death", "SRE", "skeletal", "adverse", "serious", "fracture"]


class Sink:
    """An aiosmtpd handler that keeps what it accepts and refuses some recipients."""

    def __init__(self, refuse=()):
        self.received: list[email.message.EmailMessage] = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp():
    """Start a server; yields a function (refuse=..., tls_context=...) -> (sink, port)."""
    started = []

    def start(refuse=(), **kwargs):
        sink, port = Sink(refuse), _free_port()
        ctrl = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
        ctrl.start()
        started.append(ctrl)
        return sink, port

    yield start
    for ctrl in started:
        ctrl.stop()


def _config(folder: Path, port: int, recipients: list[dict], **smtp) -> Path:
    lines = ['sender = "rfa_dash <rfa-dash@example.org>"', 'base_url = "https://dash.example.org"',
             "[smtp]", 'host = "127.0.0.1"', f"port = {port}",
             f'security = "{smtp.pop("security", "none")}"', "timeout_seconds = 5"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in smtp.items()]
    for r in recipients:
        lines.append("[[recipients]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in r.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "notify.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


COORD = {"email": "coord@example.org", "role": "coordinator", "messages": ["digest", "alerts"]}
PI = {"email": "pi@example.org", "role": "investigator", "messages": ["alerts"]}
DSMB = {"email": "dsmb@example.org", "role": "dsmb", "messages": ["alerts"], "by_arm": True}


def _plain(m) -> str:
    """The plain-text part, with the wire's CRLF line ends as newlines."""
    return m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _text(m) -> str:
    """Every part of a message, decoded, with its headers."""
    parts = [str(m["Subject"])]
    for part in m.walk():
        if part.get_content_maintype() != "multipart":
            parts.append(part.get_content() if part.get_content_maintype() == "text"
                         else repr(part.get_content()))
    return "\n".join(str(p) for p in parts)


def test_coordinator_digest_holds_the_worklist_and_never_an_arm_or_outcome(tmp_path, smtp):
    sink, port = smtp()
    cfg = load_config(_config(tmp_path / "cfg", port, [COORD]), PROTOCOL)
    exp = open_export(SAMPLE_DIR)
    report = notify(exp, exp.default_as_of, cfg)
    assert not report.failures
    assert [o.kind for o in report.sent] == ["digest"]  # the sample has no data error
    (m,) = sink.received
    assert m["To"] == "coord@example.org"
    # hand-checked with `visits`: 4 overdue, of which 011 and 022's month 1 were seen at
    # later visits (to record as missed, issue 36), 6 due, one window (025, month 6) opens
    assert str(m["Subject"]) == ("[NCT07090122] Visits: 2 overdue, 6 due, 1 opening, 2 to "
                                 "record as missed (2026-11-16)")
    body = _plain(m)
    assert "Overdue visits, most overdue first (2):" in body
    assert "To record as missed (the window closed; the participant has been seen since) (2)" \
        in body
    assert "Incomplete screenings: values their criteria still need (5):" in body
    assert "https://dash.example.org/worklist" in body
    from rfa_dash.version import stamp

    assert "Made by " + stamp(exp.fingerprint, PROTOCOL.source).line() in body
    assert m.get_body(preferencelist=("html",)) is not None
    files = {p.get_filename(): p for p in m.iter_attachments()}
    assert set(files) == {"worklist_2026-11-16.csv", "visit_windows_2026-11-16.ics"}
    csv_text = files["worklist_2026-11-16.csv"].get_content()
    assert csv_text.splitlines()[0].startswith("priority,action,participant_id")
    assert "BEGIN:VCALENDAR" in files["visit_windows_2026-11-16.ics"].get_content()
    everything = _text(m)
    for word in ARM_WORDS + OUTCOME_WORDS:
        assert word.lower() not in everything.lower(), word
    # the digest goes once per data cut
    assert notify(exp, exp.default_as_of, cfg).sent == []
    assert len(sink.received) == 1


@pytest.fixture()
def events(tmp_path):
    """Three randomized; P1 died, P2 has a serious AE and an SRE; P3 only a mild AE."""
    screening = [screen(screening_id=f"S{i}") for i in range(1, 4)]
    randomization = [rand(participant_id=f"P{i}", screening_id=f"S{i}",
                          arm="rfa_rt" if i < 3 else "rt_alone") for i in range(1, 4)]
    sre = [{"participant_id": "P2", "event_date": "2025-05-01",
            "sre_type": "pathologic_fracture", "spine_level": "T8"}]
    ae = [{"participant_id": "P2", "onset_date": "2025-04-01", "term": "Back pain", "grade": "3",
           "serious": "yes", "related": "no"},
          {"participant_id": "P3", "onset_date": "2025-04-02", "term": "Fatigue", "grade": "1",
           "serious": "no", "related": "no"}]
    off = [{"participant_id": "P1", "off_study_date": "2025-06-01", "reason": "death"}]
    folder = make_export(tmp_path / "export", screening=screening, randomization=randomization,
                         sre_events=sre, adverse_events=ae, offstudy=off)
    return folder


def test_alerts_go_once_and_again_for_new_events(tmp_path, smtp, events):
    sink, port = smtp()
    cfg = load_config(_config(tmp_path / "cfg", port, [PI, DSMB]), PROTOCOL)
    as_of = dt.date(2025, 12, 1)
    exp = open_export(events)
    first = notify(exp, as_of, cfg)
    assert not first.failures
    got = {(m["To"], str(m["Subject"]).strip()) for m in sink.received}
    assert got == {("pi@example.org", "[NCT07090122] 1 new death"),
                   ("pi@example.org", "[NCT07090122] 1 new serious adverse event"),
                   ("pi@example.org", "[NCT07090122] 1 new skeletal-related event"),
                   ("dsmb@example.org", "[NCT07090122] 1 new death"),
                   ("dsmb@example.org", "[NCT07090122] 1 new serious adverse event"),
                   ("dsmb@example.org", "[NCT07090122] 1 new skeletal-related event")}
    for m in sink.received:
        body = _plain(m)
        columns = body.split("\n\n")[1].splitlines()[0].split()  # the table's header
        if m["To"] == "pi@example.org":  # pooled: no arm
            assert "rfa_rt" not in body and "Arm" not in columns and "by arm" not in body
        else:
            assert "by arm" in body and "Arm" in columns and "rfa_rt" in body
    sae = {m["To"]: _text(m) for m in sink.received if "serious" in str(m["Subject"])}
    assert "P2" in sae["dsmb@example.org"]
    # the open role's pooled listings name no participant (protocol: listing_ids = false)
    assert "P2" not in sae["pi@example.org"] and "#1" in sae["pi@example.org"]
    # a second run has nothing new
    n = len(sink.received)
    assert notify(open_export(events), as_of, cfg).sent == [] and len(sink.received) == n
    # a new death and a new SAE in a new export: only those go
    (events / "offstudy.csv").write_text(
        "participant_id,off_study_date,reason\nP1,2025-06-01,death\nP3,2025-10-01,death\n",
        encoding="utf-8")
    with (events / "adverse_events.csv").open("a", encoding="utf-8") as f:
        f.write("P3,2025-09-01,Pneumonia,,4,yes,no\n")
    again = notify(open_export(events), as_of, cfg)
    assert sorted((o.recipient.email, o.kind, o.count) for o in again.sent) == [
        ("dsmb@example.org", "death", 1), ("dsmb@example.org", "serious_ae", 1),
        ("pi@example.org", "death", 1), ("pi@example.org", "serious_ae", 1)]
    newest = {m["To"]: m for m in sink.received[n:] if "death" in str(m["Subject"])}
    assert "P3" in _text(newest["dsmb@example.org"]) and "P1" not in _plain(
        newest["dsmb@example.org"])
    assert "#1" in _plain(newest["pi@example.org"]) and "P3" not in _plain(
        newest["pi@example.org"])


def test_coordinator_alerts_are_data_errors_only(tmp_path, smtp, events):
    sink, port = smtp()
    (events / "visits.csv").write_text(
        "participant_id,visit_month,status,visit_date,pain_nrs\nP9,1,completed,2025-02-20,\n",
        encoding="utf-8")  # an orphan visit: a data-quality error the coordinator may read
    with (events / "randomization.csv").open("a", encoding="utf-8") as f:
        # a misspelled arm: its error would tell the coordinator which arm P4 is in
        f.write("P4,S3,2025-01-15,rfa-rt,2025-01-20,true,breast,1,lytic,7,6,\n")
    cfg = load_config(_config(tmp_path / "cfg", port, [COORD]), PROTOCOL)
    report = notify(open_export(events), dt.date(2025, 12, 1), cfg)
    kinds = [o.kind for o in report.sent]
    assert "data_error" in kinds and not {"death", "serious_ae", "sre"} & set(kinds)
    for m in sink.received:
        # the misspelled arm's problem comes as the Data quality page shows it to this role:
        # the column named, the value hidden
        for word in [w for w in ARM_WORDS if w != "arm"] + ["death", "skeletal",
                                                             "serious adverse"]:
            assert word.lower() not in _text(m).lower(), (word, m["Subject"])
        assert "rfa-rt" not in _text(m)
    assert any("the value is hidden from this role" in _text(m) for m in sink.received)


def test_refused_recipient_fails_alone_and_is_not_recorded(tmp_path, smtp, events, capsys):
    sink, port = smtp(refuse={"pi@example.org"})
    path = _config(tmp_path / "cfg", port, [PI, DSMB])
    code = main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("not sent: pi@example.org refused by the server: 550") == 3
    assert {m["To"] for m in sink.received} == {"dsmb@example.org"}
    assert set(ledger()) == {"dsmb@example.org"}
    # once the server takes it, the PI's alerts go (and the DSMB's are not repeated)
    sink.refuse.clear()
    assert main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01"]) == 0
    assert sorted(m["To"] for m in sink.received).count("pi@example.org") == 3
    assert sorted(m["To"] for m in sink.received).count("dsmb@example.org") == 3


def test_dead_server_is_one_line_and_nothing_recorded(tmp_path, events, capsys):
    store.engine()   # not a first start (which says so on a line of its own)
    path = _config(tmp_path / "cfg", _free_port(), [PI])
    assert main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rfa_dash: not sent: cannot reach 127.0.0.1:")
    assert "Traceback" not in err[0]
    assert ledger() == {}


def test_dry_run_prints_and_sends_nothing(tmp_path, smtp, events, capsys):
    sink, port = smtp()
    path = _config(tmp_path / "cfg", port, [PI])
    assert main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01",
                 "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "Subject: [NCT07090122] 1 new death" in out.out
    assert "would send: death (1) to pi@example.org" in out.err
    assert sink.received == [] and ledger() == {}


def _tls_server(smtp, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    sink, port = smtp(tls_context=server_ctx, require_starttls=True)
    return sink, port, ca_file


def test_starttls_with_the_test_ca(tmp_path, smtp, events):
    sink, port, ca_file = _tls_server(smtp, tmp_path)
    cfg = load_config(_config(tmp_path / "cfg", port, [PI], security="starttls",
                              ca_file=str(ca_file)), PROTOCOL)
    report = notify(open_export(events), dt.date(2025, 12, 1), cfg)
    assert not report.failures and len(sink.received) == 3


def test_starttls_refuses_an_unknown_certificate(tmp_path, smtp, events):
    sink, port, _ = _tls_server(smtp, tmp_path)
    cfg = load_config(_config(tmp_path / "cfg", port, [PI], security="starttls"), PROTOCOL)
    report = notify(open_export(events), dt.date(2025, 12, 1), cfg)
    assert len(report.failures) == 1 and "is not trusted" in report.failures[0]
    assert sink.received == []


def test_password_comes_from_a_file_or_the_environment(tmp_path, monkeypatch):
    path = _config(tmp_path / "cfg", 25, [PI], security="none", user="svc",
                   password_file="pw.txt")
    (tmp_path / "cfg" / "pw.txt").write_text("s3cret\n", encoding="utf-8")
    assert load_config(path, PROTOCOL).smtp.password() == "s3cret"
    path = _config(tmp_path / "cfg2", 25, [PI], security="none", user="svc",
                   password_env="RFA_TEST_SMTP_PW")
    monkeypatch.setenv("RFA_TEST_SMTP_PW", "from-env")
    assert load_config(path, PROTOCOL).smtp.password() == "from-env"


@pytest.mark.parametrize("change,message", [
    (lambda t: t.replace('[smtp]', '[smtp]\npassword = "x"'), "must not hold the password"),
    (lambda t: t.replace('role = "investigator"', 'role = "nurse"'), "role 'nurse'"),
    (lambda t: t.replace('role = "investigator"', 'role = "investigator"\nby_arm = true'),
     "does not see outcomes by arm"),
    (lambda t: t.replace('host = "127.0.0.1"', 'host = "smtp.example.org"'), "clear text"),
    (lambda t: t.replace('email = "pi@example.org"', 'email = "pi@example.org\\nBcc: x@y"'),
     "not one e-mail address"),
    (lambda t: t.replace('messages = ["alerts"]', 'messages = ["weekly"]'), "weekly"),
])
def test_bad_configurations_are_refused_with_a_message(tmp_path, change, message):
    path = _config(tmp_path / "cfg", 25, [PI])
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path, PROTOCOL)


def test_config_inside_the_export_is_refused(tmp_path, events, capsys):
    path = _config(events, 25, [PI])
    assert main(["notify", str(events), "--config", str(path)]) == 2
    assert "outside the export folder" in capsys.readouterr().err


def test_a_server_that_never_answers_times_out(tmp_path, events, capsys):
    store.engine()
    with socket.socket() as listener:  # accepts the connection, never says hello
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        path = _config(tmp_path / "cfg", listener.getsockname()[1], [PI])
        path.write_text(path.read_text().replace("timeout_seconds = 5", "timeout_seconds = 1"))
        assert main(["notify", str(events), "--config", str(path),
                     "--as-of", "2025-12-01"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.endswith("did not answer within 1 s") and len(err.splitlines()) == 1


def test_every_sent_message_is_audited(tmp_path, smtp, events):
    sink, port = smtp()
    cfg = load_config(_config(tmp_path / "cfg", port, [PI]), PROTOCOL)
    exp = open_export(events)
    notify(exp, dt.date(2025, 12, 1), cfg)
    lines = audit_entries()
    sent = [x for x in lines if x["action"] == "notify_sent"]
    assert sorted(x["detail"] for x in sent) == ["death: 1", "serious_ae: 1", "sre: 1"]
    assert {(x["user"], x["role"], x["export"]) for x in sent} == {
        ("pi@example.org", "investigator", exp.fingerprint)}


def test_important_deviations_are_alerted_once_pooled_or_by_arm(tmp_path, smtp, events):
    sink, port = smtp()
    cfg = load_config(_config(tmp_path / "cfg", port, [COORD, PI, DSMB]), PROTOCOL)
    as_of = dt.date(2025, 12, 1)
    (events / "deviations.csv").write_text(
        "participant_id,deviation_date,category,important,description\n"
        "P2,2025-05-02,eligibility,true,Labs older than 14 days\n"
        "P3,2025-05-03,visit_window,false,Visit outside its window\n", encoding="utf-8")
    notify(open_export(events), as_of, cfg)
    dev = {m["To"]: m for m in sink.received if "deviation" in str(m["Subject"])}
    # the coordinator is blind to outcomes: no deviation alert (a description can name a
    # treatment); the others get the important one only
    assert set(dev) == {"pi@example.org", "dsmb@example.org"}
    for m in dev.values():
        assert str(m["Subject"]).strip() == "[NCT07090122] 1 new important protocol deviation"
        assert "Labs older than 14 days" in _plain(m) and "Visit outside" not in _plain(m)
    assert "P2" in _plain(dev["dsmb@example.org"]) and "rfa_rt" in _plain(dev["dsmb@example.org"])
    assert "P2" not in _plain(dev["pi@example.org"]) and "rfa_rt" not in _plain(
        dev["pi@example.org"])
    n = len(sink.received)
    assert notify(open_export(events), as_of, cfg).sent == []   # once
    with (events / "deviations.csv").open("a", encoding="utf-8") as f:
        f.write("P1,2025-05-20,treatment,true,Radiotherapy dose not as planned\n")
    again = notify(open_export(events), as_of, cfg)
    assert sorted((o.recipient.email, o.kind, o.count) for o in again.sent) == [
        ("dsmb@example.org", "important_deviation", 1),
        ("pi@example.org", "important_deviation", 1)]
    assert all("Labs older" not in _plain(m) for m in sink.received[n:])


def test_the_safety_rule_crossing_is_alerted_once_and_the_pi_gets_no_counts(tmp_path, smtp):
    # three treated in the monitored arm, two related grade 3 events in their windows:
    # 2 of the first 3 crosses the default boundary
    screening = [screen(screening_id=f"S{i}") for i in range(1, 4)]
    randomization = [rand(participant_id=f"P{i}", screening_id=f"S{i}", arm="rfa_rt",
                          treatment_date=f"2025-03-0{i}") for i in range(1, 4)]
    ae = [{"participant_id": p, "onset_date": d, "term": "Nerve injury", "grade": "3",
           "serious": "yes", "related": "yes"}
          for p, d in (("P1", "2025-03-10"), ("P3", "2025-03-20"))]
    folder = make_export(tmp_path / "export", screening=screening, randomization=randomization,
                         adverse_events=ae)
    sink, port = smtp()
    cfg = load_config(_config(tmp_path / "cfg", port, [COORD, PI, DSMB]), PROTOCOL)
    as_of = dt.date(2025, 6, 1)
    notify(open_export(folder), as_of, cfg)
    rule = {m["To"]: m for m in sink.received if "safety stopping rule" in str(m["Subject"])}
    assert set(rule) == {"pi@example.org", "dsmb@example.org"}       # never the coordinator
    pi, dsmb = _plain(rule["pi@example.org"]), _plain(rule["dsmb@example.org"])
    assert "2025-03-20" in pi and "pause enrolment" in pi
    assert "Events" not in pi and "Evaluable participants" not in pi     # nothing counted
    assert "2025-03-20" in dsmb and "Evaluable participants" in dsmb and "Events" in dsmb
    n = len(sink.received)
    notify(open_export(folder), as_of, cfg)                              # once
    assert not [m for m in sink.received[n:] if "safety stopping rule" in str(m["Subject"])]


def test_a_first_notify_on_a_new_store_says_so(tmp_path, events, capsys):
    """Issue 37: a notify run pointed at a store that is not there used to start afresh in
    silence (an empty ledger sends every alert again); a first start now says so."""
    path = _config(tmp_path / "cfg", _free_port(), [PI])
    main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01"])
    err = capsys.readouterr().err
    assert "no state store at sqlite:///" in err and "every alert due counts as unsent" in err


def test_a_tarpit_server_is_given_up_within_a_total_bound(tmp_path, events, capsys):
    """Issue 37: a greeting trickled a byte at a time never trips a socket timeout; each
    step now has a total bound (4 x timeout_seconds), after which the run says so."""
    import threading

    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            for byte in b"220 " + b"x" * 500 + b"\r\n":
                if stop.wait(0.3):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    store.engine()
    path = _config(tmp_path / "cfg", listener.getsockname()[1], [PI])
    path.write_text(path.read_text().replace("timeout_seconds = 5", "timeout_seconds = 1"))
    try:
        assert main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01"]) == 3
    finally:
        stop.set()
        listener.close()
    err = capsys.readouterr().err.strip()
    assert err.endswith("did not finish connecting within 4 s (it answers too slowly)"), err
    assert len(err.splitlines()) == 1 and ledger() == {}


def test_a_folder_where_the_earlier_state_file_should_be_is_exit_2(tmp_path, events, capsys):
    """Issue 37: a folder in the state file's place was ignored (exit 0, every message
    sent); docs/notify.md says exit 2."""
    path = _config(tmp_path / "cfg", _free_port(), [PI])
    (path.parent / f"{path.stem}.state.json").mkdir()
    assert main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("rfa_dash: the notify state file ") and "is not a file" in err[-1]
    assert ledger() == {}


def test_a_store_that_fails_after_a_message_went_says_so_in_one_line(
        tmp_path, smtp, events, capsys, monkeypatch):
    """Issue 37: a store that fills during the run left a delivered alert unrecorded behind
    a traceback; now one line, exit 2, naming what was sent and what happens next."""
    from rfa_dash.notify import state as ledger_state
    from rfa_dash.state.errors import StoreError

    sink, port = smtp()
    path = _config(tmp_path / "cfg", port, [PI])
    store.engine()

    def full(self, *args, **kwargs):
        raise StoreError("the state store sqlite:///x failed: database or disk is full", "full")

    monkeypatch.setattr(ledger_state.Ledger, "record", full)
    assert main(["notify", str(events), "--config", str(path), "--as-of", "2025-12-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "was sent but could not be recorded" in err[0], err
    assert "database or disk is full" in err[0] and "sends it once more" in err[0]
    assert len(sink.received) == 1
