"""Writing files safely: atomic writes with the usual permissions, TOML, hashes, output folders
checked before any work and locked while a run writes to them.

An atomic write goes to a temporary file in the same folder and is renamed over the target, so
a reader (or a run interrupted half-way) sees either the old or the complete new content,
never half a file. Files get mode 0666 minus the umask (0644 with the usual umask of 022), as
a plain ``open`` would give them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write_bytes", "atomic_write_text", "toml_dumps", "file_sha256",
           "prepare_output_dir", "locked", "UNSAFE_NAME_CHARS"]

#: Characters an experiment name may not contain (it names a folder under results/).
UNSAFE_NAME_CHARS = frozenset('/\\:*?"<>|\0')


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path | str, payload: bytes) -> None:
    """Write a file so readers see either the old or the complete new content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def toml_dumps(data: Mapping, header: str = "") -> str:
    """Nested dicts as TOML text (tomli-w), after an optional ``# ``-commented header.
    ``None`` values are left out (TOML has no null).

    >>> print(toml_dumps({"a": 1, "b": None, "t": {"x": "y"}}), end="")
    a = 1
    <BLANKLINE>
    [t]
    x = "y"
    """
    import tomli_w

    def drop_none(value):
        if isinstance(value, Mapping):
            return {k: drop_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, (list, tuple)):
            return [drop_none(v) for v in value]
        return value

    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    body = tomli_w.dumps(drop_none(data), multiline_strings=False)
    return ("\n".join(lines) + "\n\n" if lines else "") + body


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file's bytes, for manifests."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def prepare_output_dir(path: Path | str, *, field: str = "--out") -> Path:
    """Create an output folder (with its parents) and check it can be written, before any
    work is done; a path that is a file, or a folder that cannot be written, is an InputError.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file, not a folder", field=field)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot write to {path} ({reason.lower()})", field=field) from None
    return path


@contextlib.contextmanager
def locked(folder: Path | str, *, field: str = "--out") -> Iterator[Path]:
    """Hold an exclusive lock on an output folder while a run writes to it; a second run
    into the same folder at the same time is refused with an InputError instead of silently
    losing one of the two results."""
    folder = prepare_output_dir(folder, field=field)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        yield folder
        return
    # the lock is on the folder itself: no lock file to leave behind, and the operating system
    # releases it if the process dies
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(f"another run is writing to {folder}; wait for it to finish or "
                             "use another folder", field=field) from None
        try:
            yield folder
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
