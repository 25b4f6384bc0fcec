"""Eligibility criteria are data: one list in the contract, labels in the protocol file,
and the SQL rules named after them in the same order."""

import re
import tomllib

import pytest

from rfa_dash.contract import CRITERIA, CRITERION_IDS, TABLES
from rfa_dash.db import SQL_DIR
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.protocol import DEFAULT_PROTOCOL, ProtocolError, load_protocol, parse_protocol

SPEC_ORDER = ["age", "histology", "spine_levels", "pain_or_imaging", "labs_recent", "anc",
              "platelets", "hemoglobin", "ast_alt", "bilirubin", "albumin", "renal",
              "contraception", "pregnant", "cord_compression", "prior_rt",
              "surgical_candidate", "rfa_ineligible", "physician_excluded"]


def test_contract_lists_the_spec_criteria_in_order():
    assert list(CRITERION_IDS) == SPEC_ORDER
    screening = set(TABLES["screening"].names)
    for c in CRITERIA:
        assert c.columns and set(c.columns) <= screening, c.id


def test_sql_rules_are_the_contract_criteria_in_contract_order():
    # eligibility_at's c_ columns must be the contract's criteria (criterion_results_at
    # matches them by name), in the contract's order
    exp = open_export(SAMPLE_DIR)
    cols = [d[0] for d in exp.con.execute(
        "SELECT * FROM eligibility_at(DATE '2000-01-01') LIMIT 0").description]
    assert [c[2:] for c in cols if c.startswith("c_")] == SPEC_ORDER


def test_every_lab_criterion_has_a_near_miss_rule():
    text = (SQL_DIR / "results" / "near_misses.sql").read_text()
    near = re.findall(r"AS near_(\w+)", text)
    assert sorted(near) == sorted(c.id for c in CRITERIA if c.lab)


def test_protocol_table_and_long_results_follow_the_contract():
    exp = open_export(SAMPLE_DIR)
    k = exp.con.execute("SELECT criterion, position, label, lab FROM protocol_criteria "
                        "ORDER BY position").fetchall()
    labels = load_protocol().criterion_labels
    assert k == [(c.id, i, labels[c.id], c.lab) for i, c in enumerate(CRITERIA, start=1)]
    long = exp.con.execute("SELECT screening_id, criterion, position FROM "
                           "criterion_results_at($d) ORDER BY screening_id, position",
                           {"d": exp.default_as_of}).df()
    first = long[long.screening_id == long.screening_id.iloc[0]]
    assert first.criterion.tolist() == SPEC_ORDER
    assert len(long) == 19 * long.screening_id.nunique()


def _protocol_data():
    return tomllib.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8"))


def test_protocol_needs_a_label_for_every_criterion():
    data = _protocol_data()
    del data["eligibility"]["labels"]["renal"]
    with pytest.raises(ProtocolError, match="renal"):
        parse_protocol(data)


def test_protocol_rejects_a_label_for_no_criterion():
    data = _protocol_data()
    data["eligibility"]["labels"]["kidney"] = "Kidney"
    with pytest.raises(ProtocolError, match="kidney"):
        parse_protocol(data)


def test_relabelled_criterion_shows_its_new_label(tmp_path):
    data = _protocol_data()
    data["eligibility"]["labels"]["anc"] = "Neutrophils below 1.5"
    p = parse_protocol(data, source="relabelled")
    exp = open_export(SAMPLE_DIR, p, use_cache=False)
    from rfa_dash.analysis import eligibility as el

    counts = el.criterion_counts(exp, exp.default_as_of).set_index("criterion")
    assert counts.at["anc", "label"] == "Neutrophils below 1.5"
