"""A damaged cache entry is discarded and rebuilt with an info line, never a traceback
(issue 25)."""

from tests.state.helpers import cli


def test_a_damaged_cache_entry_is_rebuilt_with_an_info_line(_private_state):
    assert cli("check").returncode == 0                       # writes the entry
    (entry,) = [p for p in (_private_state / "cache").iterdir() if p.is_dir()]
    part = entry / "stg_randomization.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])   # cut short
    r = cli("sre", "--format", "csv")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (f"rfa_dash: info: the cache entry {entry.name} could not be "
                                "read (" + r.stderr.split("could not be read (", 1)[1].strip())
    assert r.stdout == cli("sre", "--format", "csv", env={"RFA_DASH_CACHE_DIR": str(
        _private_state / "another_cache")}).stdout            # the same answer as uncached
    again = cli("check")
    assert again.returncode == 0 and again.stderr == ""       # rebuilt: read quietly
