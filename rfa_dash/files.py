"""Files the dashboard writes outside its store: whole or not at all.

A file is written under a temporary name in its target folder, fsync'd,
renamed over the target, and the folder fsync'd (so a power cut leaves the
earlier file or the new one, never an empty or partial one). A folder of
files (an import's tables, a REDCap fetch) is written whole beside its target
and exchanged with it in one step (Linux ``renameat2(RENAME_EXCHANGE)``;
elsewhere two renames, the earlier folder kept under a ``.previous`` name
until the new one is in place). On a full disk or an I/O error: one line
(:class:`WriteError`), the temporary files removed, the earlier file intact.

Example
-------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "report.html"
>>> write_bytes(target, b"<p>first</p>")
>>> write_bytes(target, b"<p>second</p>")
>>> target.read_bytes()
b'<p>second</p>'
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

RENAME_EXCHANGE = 2


class WriteError(OSError):
    """A file or folder could not be written; the earlier one is intact (one line)."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def fsync_path(path: Path) -> None:
    """A folder's entries, or a file written by someone else (a library, a database), on
    disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_files(folder: Path) -> None:
    """Every file directly in ``folder``, then the folder itself, on disk."""
    for p in folder.iterdir():
        if p.is_file():
            fsync_path(p)
    fsync_path(folder)


def _tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` (it must not exist) holding ``data``, on disk before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_bytes(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``target`` with ``data``, whole or not at all.

    Raises
    ------
    WriteError
        The disk is full, the folder not writable, or another I/O error.
    """
    target = Path(target)
    tmp = _tmp_name(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_new(tmp, data, mode)
        os.replace(tmp, target)
        fsync_path(target.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(f"cannot write {target}: {_why(exc)}; "
                         + ("the earlier file is intact" if target.exists()
                            else "nothing was written")) from None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):   # EINVAL, ENOSYS, EOPNOTSUPP: not on this file system
        return False
    raise OSError(err, os.strerror(err))


def replace_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """Write a new ``target`` folder: ``fill(tmp)`` writes its files into a fresh folder
    beside it, which then takes ``target``'s place in one step.

    Raises
    ------
    WriteError
        Writing or swapping failed; ``target`` is as it was.
    """
    target = Path(target)
    tmp = _tmp_name(target)
    old = target.with_name(f".{target.name}.previous-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(mode=0o755)
        fill(tmp)
        fsync_files(tmp)             # every file on disk before the swap
        if not target.exists():
            os.rename(tmp, target)
        elif _exchange(tmp, target):
            shutil.rmtree(tmp, ignore_errors=True)     # tmp now holds the earlier folder
        else:
            os.rename(target, old)
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        fsync_path(target.parent)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            os.rename(old, target)
        if not isinstance(exc, OSError):
            raise
        raise WriteError(f"cannot write {target}: {_why(exc)}; "
                         + ("the earlier files are intact" if target.exists()
                            else "nothing was written")) from None


def write_folder(target: Path, content: dict[str, bytes]) -> None:
    """:func:`replace_folder` with the files ``content`` (name to bytes)."""
    def fill(tmp: Path) -> None:
        for name, data in content.items():
            write_new(tmp / name, data, 0o644)

    replace_folder(target, fill)


# file systems on another machine: a key file kept there travels with the data it signs
NETWORK_FS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "glusterfs",
                        "ceph", "9p", "afs", "lustre", "fuse.s3fs"})


def filesystem_type(path: Path, mounts: Path = Path("/proc/self/mounts")) -> str | None:
    """The type of the file system ``path`` lives on (Linux's mount table), or None.

    Example
    -------
    >>> filesystem_type(Path("/")) is not None or not Path("/proc/self/mounts").exists()
    True
    """
    try:
        table = mounts.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(Path(path).resolve())
    best, kind = -1, None
    for line in table:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), parts[2]
    return kind
