"""The house stands as docs/architecture.md draws it: every import in the package (those
inside functions too) goes to the importer's own room, a floor below, or a leaf; never up,
never sideways to a sibling room. The table is read from the doc itself, so the doc and
the code cannot drift apart."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\| (\d+) \| ([^|]+) \|")


def rooms() -> list[tuple[int, int, list[str]]]:
    """(floor, room number, the room's paths) for each row of the doc's layer table."""
    out = []
    for i, line in enumerate(DOC.read_text(encoding="utf-8").splitlines()):
        m = ROW.match(line)
        if m:
            out.append((int(m[1]), i, re.findall(r"`([^`]+)`", m[2])))
    return out


def module_files() -> list[Path]:
    found = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    found += [p for p in sorted((ROOT / "rfa_dash").rglob("*.py")) if "migrations" not in p.parts]
    return found


def room_of(path: Path, table) -> tuple[int, int]:
    rel = path.relative_to(ROOT).as_posix()
    best = None
    for floor, room, paths in table:
        for p in paths:
            hit = rel == p or (p.endswith("/") and rel.startswith(p))
            if hit and (best is None or len(p) > best[0]):
                best = (len(p), (floor, room))
    if best is None:
        raise AssertionError(f"{rel} is in no room of docs/architecture.md's layer table")
    return best[1]


def module_path(name: str) -> Path | None:
    base = ROOT / Path(*name.split("."))
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def imports(path: Path) -> set[tuple[str, int]]:
    """(module, line) of every rfa_dash module ``path`` imports, a name imported from a
    package counted as its submodule when it is one."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {(a.name, node.lineno) for a in node.names if a.name.startswith("rfa_dash")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("rfa_dash"):
            subs = {f"{node.module}.{a.name}" for a in node.names
                    if module_path(f"{node.module}.{a.name}")}
            out |= {(s, node.lineno) for s in subs}
            if len(subs) < len(node.names):
                out.add((node.module, node.lineno))
    return out


def third_party(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_every_module_has_a_room_and_every_named_path_exists():
    table = rooms()
    assert len({f for f, _, _ in table}) >= 10, "the layer table was not found in the doc"
    for _, _, paths in table:
        for p in paths:
            assert (ROOT / p).exists(), f"docs/architecture.md names {p}, which does not exist"
    for path in module_files():
        room_of(path, table)


def test_imports_go_down_or_stay_in_their_room():
    table = rooms()
    leaves = min(f for f, _, _ in table)
    wrong = []
    for path in module_files():
        floor, room = room_of(path, table)
        for name, line in sorted(imports(path)):
            target = module_path(name)
            if target is None:
                continue
            t_floor, t_room = room_of(target, table)
            if t_room == room or t_floor < floor or t_floor == leaves:
                if floor == leaves and t_floor != leaves:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}: a leaf "
                                 "imports leaves only")
                continue
            what = "a floor above" if t_floor > floor else "a sibling room on its floor"
            wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({what}: floor "
                         f"{t_floor} from floor {floor})")
    assert wrong == []


@pytest.mark.parametrize("library,allowed", [
    ("streamlit", ("app.py", "pages/", "rfa_dash/ui/")),
    ("plotly", ("pages/", "rfa_dash/ui/", "rfa_dash/charts/", "rfa_dash/report/")),
])
def test_only_the_named_rooms_import(library, allowed):
    wrong = [str(p.relative_to(ROOT)) for p in module_files()
             if library in third_party(p)
             and not p.relative_to(ROOT).as_posix().startswith(allowed)]
    assert wrong == []


def test_a_violation_is_caught(tmp_path, monkeypatch):
    # the check itself: a module of the store importing auth (a floor above) is found
    table = rooms()
    store = ROOT / "rfa_dash" / "state" / "store.py"
    auth = ROOT / "rfa_dash" / "auth.py"
    (s_floor, _), (a_floor, _) = room_of(store, table), room_of(auth, table)
    assert a_floor > s_floor
    fake = tmp_path / "store.py"
    fake.write_text("def f():\n    from rfa_dash import auth\n")
    assert ("rfa_dash.auth", 2) in imports(fake)
