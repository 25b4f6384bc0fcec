"""Where uploaded export files are kept: a private folder of this server process.

Each upload is saved in a folder named by the hash of its files, under a root
that only the server's user can read: a new ``mkdtemp`` folder per process by
default (never a fixed, guessable path in the shared temporary folder), or
``RFA_DASH_UPLOAD_DIR``, which must be a folder owned by the server's user
with no access for group or others. Uploads older than ``MAX_AGE_S`` are
removed whenever a new one is saved, and the root is removed when the process
ends. Nothing here imports Streamlit.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

from rfa_dash import settings
from rfa_dash.files import fsync_files, fsync_path

MAX_FILES = 20          # an export has 7 files and a REDCap project about 6
MAX_AGE_S = 12 * 3600   # an upload is kept for a working day at most


class UploadError(Exception):
    """The upload cannot be kept (too many files, two files for one name, a bad root)."""


def _check_private(root: Path) -> None:
    st = root.lstat()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UploadError(f"the upload folder {root} is not a folder")
    if st.st_uid != os.getuid():
        raise UploadError(f"the upload folder {root} belongs to another user")
    if st.st_mode & 0o077:
        raise UploadError(f"the upload folder {root} is readable by others "
                          f"(mode {stat.S_IMODE(st.st_mode):o}); chmod 700 it")


_ROOT: Path | None = None


def upload_root() -> Path:
    """This process's private upload folder (made on first use)."""
    global _ROOT
    root = settings.upload_dir()
    if root is not None:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        _check_private(root)
        return root
    if _ROOT is None or not _ROOT.is_dir():
        _ROOT = Path(tempfile.mkdtemp(prefix="rfa_dash_uploads_"))   # mode 0700, ours
        atexit.register(shutil.rmtree, _ROOT, True)
    _check_private(_ROOT)
    return _ROOT


def prune(root: Path, max_age_s: float = MAX_AGE_S, now: float | None = None) -> int:
    """Remove uploads older than ``max_age_s``; return how many were removed."""
    now = time.time() if now is None else now
    removed = 0
    for p in root.iterdir():
        try:
            if p.is_dir() and not p.is_symlink() and now - p.stat().st_mtime > max_age_s:
                shutil.rmtree(p, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def save(files: list[tuple[str, bytes]], root: Path | None = None) -> tuple[Path, bool]:
    """Keep ``files`` (name, content) in a folder of their own; (folder, newly saved).

    Names are reduced to their last part and compared without case, as the
    loader matches them: two files whose names differ only in case would
    replace each other, so they are refused.

    Raises
    ------
    UploadError
        More than ``MAX_FILES`` files, two files for one name, or an unsafe root.
    """
    if len(files) > MAX_FILES:
        raise UploadError(f"{len(files)} files in one upload; at most {MAX_FILES} "
                          "(an export has one file per table)")
    names: dict[str, str] = {}
    for name, _ in files:
        key = Path(name).name.lower()
        if key in names:
            raise UploadError(f"two files for one name: {names[key]} and {Path(name).name} "
                              "(names are compared without case); upload one of them")
        names[key] = Path(name).name
    root = root or upload_root()
    prune(root)
    h = hashlib.sha256()
    for name, data in sorted(files, key=lambda f: Path(f[0]).name.lower()):
        h.update(Path(name).name.lower().encode() + b"\0" + data + b"\0")
    folder = root / h.hexdigest()[:32]
    if folder.is_dir():
        os.utime(folder)   # in use again: its age starts over
        return folder, False
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".part_", dir=root))
    except OSError as exc:
        raise UploadError(f"the upload cannot be saved: {exc.strerror or exc}") from None
    try:
        for name, data in files:
            (tmp / Path(name).name.lower()).write_bytes(data)
        fsync_files(tmp)   # whole on disk before it takes its name
    except OSError as exc:  # a full disk: nothing half-saved stays behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise UploadError(f"the upload cannot be saved: {exc.strerror or exc}") from None
    try:
        tmp.rename(folder)
    except OSError:        # another session saved the same files first
        shutil.rmtree(tmp, ignore_errors=True)
        return folder, False
    fsync_path(root)
    return folder, True
