"""What made an output: the package version, the source revision, the code's own digest,
and the digests of the export and the protocol file it was made from.

Every report, e-mail, saved cut, the command line's ``--version`` and the app's
sidebar carry a :class:`Stamp`, so a DSMB report says which code, export and
protocol produced it. The source revision is the git commit of the checkout the
package runs from, read from its ``.git`` folder (no subprocess); where the code was
installed without one it is "unknown", and the code's digest (SHA-256 over every
``.py`` and ``.sql`` file of the package, the same digest that keys the caches)
still names the code exactly.

Example
-------
>>> s = stamp("ab" * 32, "<memory>")
>>> s.version == __version__, len(s.code), s.export
(True, 12, 'abababababab')
>>> s.line().startswith(f"rfa_dash {__version__}")
True
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from rfa_dash import __version__

PACKAGE = Path(__file__).resolve().parent      # the rfa_dash package
SHORT = 12                                      # digits of a digest people read


@lru_cache(maxsize=1)
def code_hash() -> str:
    """SHA-256 over the package's ``.py`` and ``.sql`` files (names and bytes, in path
    order): changes whenever the code that computes or converts does."""
    h = hashlib.sha256()
    for p in sorted(PACKAGE.rglob("*")):
        if p.suffix in (".py", ".sql") and p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(PACKAGE).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        g = folder / ".git"
        if g.is_dir():
            return g
        if g.is_file():   # a worktree: "gitdir: <path>"
            text = g.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                return (folder / text[len("gitdir:"):].strip()).resolve()
    return None


def _ref(git: Path, ref: str) -> str | None:
    common = git
    if (git / "commondir").is_file():   # a worktree's refs live in the main repository
        common = (git / (git / "commondir").read_text().strip()).resolve()
    for base in (git, common):
        f = base / ref
        if f.is_file():
            return f.read_text(encoding="utf-8").strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref:
                return parts[0]
    return None


@lru_cache(maxsize=1)
def revision() -> str:
    """The git commit of the checkout the package runs from, or "unknown"."""
    try:
        git = _git_dir(PACKAGE.parent)
        if git is None:
            return "unknown"
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        sha = _ref(git, head[len("ref:"):].strip()) if head.startswith("ref:") else head
    except OSError:
        return "unknown"
    ok = sha is not None and len(sha) == 40 and all(c in "0123456789abcdef" for c in sha)
    return sha if ok and sha is not None else "unknown"


def file_hash(source: str) -> str:
    """SHA-256 of a protocol file's bytes (of the text itself when it is not a file); read
    again only when the file's size or time changes (the sidebar asks on every rerun)."""
    try:
        st = Path(source).stat()
    except OSError:
        return hashlib.sha256(source.encode()).hexdigest()
    return _file_hash(source, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _file_hash(source: str, size: int, mtime_ns: int) -> str:
    try:
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()
    except OSError:
        return hashlib.sha256(source.encode()).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """What made an output, each digest shortened to :data:`SHORT` digits."""

    version: str
    revision: str
    code: str
    export: str
    protocol: str

    def code_line(self) -> str:
        """"rfa_dash 0.2.0 (revision 1a2b3c4d5e6f, code 9f8e7d6c5b4a)"."""
        return (f"rfa_dash {self.version} (revision {self.revision}, code {self.code})")

    def line(self) -> str:
        """The whole stamp on one line (reports' colophon, e-mails, audit entries)."""
        return (f"{self.code_line()}; export SHA-256 {self.export}; "
                f"protocol SHA-256 {self.protocol}")

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def stamp(export_fingerprint: str = "", protocol_source: str = "") -> Stamp:
    """The stamp of an output made from an export (its SHA-256) with a protocol file."""
    rev = revision()
    return Stamp(__version__, rev[:SHORT] if rev != "unknown" else rev, code_hash()[:SHORT],
                 export_fingerprint[:SHORT] or "none",
                 file_hash(protocol_source)[:SHORT] if protocol_source else "none")
