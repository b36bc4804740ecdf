"""Trait dataset files: resolving a trait, reading and validating its files, atomic saves.

A trait folder holds positive.txt and negative.txt (one scenario per line, paired by line
number), definition.txt (the judge's rubric) and steering.json ({"questions": [...]}).
Every problem is reported as a DatasetError naming the file and, where it applies, the line.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

POSITIVE = "positive.txt"
NEGATIVE = "negative.txt"
DEFINITION = "definition.txt"
STEERING = "steering.json"
WATCHED_FILES = (POSITIVE, NEGATIVE, DEFINITION)
JOURNAL = ".scenarios-save.json"

# Refuse inputs that are almost certainly mistakes (a wrong file, a pasted blob) before they
# become thousands of paid judge calls.
MAX_LINE_CHARS = 8000
MAX_LINES = 5000
STEERING_QUESTIONS = 10


class DatasetError(Exception):
    """Bad dataset input. `path` and `line` say where; str() is the full user-facing message."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.bare = message
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line else f"{self.path}: "
        super().__init__(where + message)


class ConflictError(DatasetError):
    """The file changed on disk since it was loaded; saving would overwrite someone's work."""


@dataclass(frozen=True)
class LinesFile:
    path: Path
    lines: list[str]
    newline: str = "\n"
    final_newline: bool = True
    digest: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Trait:
    name: str
    path: Path
    positive: LinesFile
    negative: LinesFile
    definition: str | None
    steering: list[str] | None = None

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.positive.lines, self.negative.lines))

    @property
    def warnings(self) -> list[str]:
        return self.positive.warnings + self.negative.warnings


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- resolving a trait

def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def default_datasets_root() -> Path:
    """datasets/traits in the working directory if there is one, else the one beside core/."""
    here = Path.cwd() / "datasets" / "traits"
    return here if here.is_dir() else repo_root() / "datasets" / "traits"


def resolve_trait(spec: str, root: Path | None = None) -> tuple[str, Path]:
    """Turn `category/trait` or a folder path into (display name, folder).

    A folder that exists and holds a positive.txt or negative.txt is taken as given. Anything
    else is a name under the datasets root, and may not leave it (no '..', no absolute path,
    no symlink pointing outside).
    """
    if not spec or not spec.strip():
        raise DatasetError("empty trait name; give category/trait or a folder path")
    root = (root or default_datasets_root())
    as_path = Path(spec).expanduser()
    if as_path.is_dir() and ((as_path / POSITIVE).exists() or (as_path / NEGATIVE).exists()):
        folder = as_path.resolve()
        try:
            name = str(folder.relative_to(root.resolve()))
        except ValueError:
            # Outside the root: name it category/trait like the shipped layout, so results,
            # marks and reports read the same as for `--trait category/trait`.
            name = f"{folder.parent.name}/{folder.name}" if folder.parent.name else folder.name
        return name, folder
    if as_path.is_absolute():
        raise DatasetError(
            f"trait '{spec}' is an absolute path but not a folder holding {POSITIVE}/{NEGATIVE}; "
            f"give category/trait (under {root}) or a dataset folder")
    parts = Path(spec).parts
    if ".." in parts:
        raise DatasetError(f"trait name '{spec}' contains '..'; give category/trait under {root}")
    candidate = root / spec
    resolved = candidate.resolve()
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        raise DatasetError(
            f"trait '{spec}' resolves to {resolved}, outside the datasets root {root} "
            "(a symlink pointing elsewhere?); pass that folder's path explicitly if you mean it")
    if not resolved.is_dir():
        near = _near_names(root, spec)
        hint = f" Did you mean: {', '.join(near)}?" if near else ""
        raise DatasetError(f"no trait '{spec}' under {root}.{hint}")
    return spec.strip("/"), resolved


def list_traits(root: Path | None = None) -> list[str]:
    root = root or default_datasets_root()
    if not root.is_dir():
        return []
    found = set()
    for p in root.rglob(POSITIVE):
        found.add(str(p.parent.relative_to(root)))
    for p in root.rglob(NEGATIVE):
        found.add(str(p.parent.relative_to(root)))
    return sorted(found)


def _near_names(root: Path, spec: str) -> list[str]:
    import difflib
    return difflib.get_close_matches(spec, list_traits(root), n=3, cutoff=0.5)


# ---------------------------------------------------------------- reading

def parse_lines(data: bytes, path: Path | str) -> LinesFile:
    """Validate and split one scenario file's bytes. Pure: no file access."""
    path = Path(path)
    if data.startswith(b"\xef\xbb\xbf"):
        raise DatasetError("starts with a UTF-8 byte-order mark (BOM), which would reach the model "
                           "as text; save the file as UTF-8 without BOM", path, 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DatasetError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {col}); "
                           "re-save the file as UTF-8", path, line) from None
    if not text.strip():
        raise DatasetError("is empty; write one scenario per line", path)
    crlf = text.count("\r\n")
    lf_only = text.count("\n") - crlf
    bare_cr = text.count("\r") - crlf
    if bare_cr:
        line = text[: _first_bare_cr(text)].count("\n") + 1
        raise DatasetError("contains a bare carriage return (old Mac line ending) inside a line; "
                           "use LF or CRLF line endings", path, line)
    if crlf and lf_only:
        raw = text.split("\n")
        first_style = raw[0].endswith("\r")
        for i, seg in enumerate(raw[:-1], start=1):
            if seg.endswith("\r") != first_style:
                raise DatasetError(
                    f"mixed line endings: this line ends with {'CRLF' if not first_style else 'LF'} "
                    f"but line 1 with {'CRLF' if first_style else 'LF'}; convert the file to one style",
                    path, i)
    newline = "\r\n" if crlf else "\n"
    warnings = [f"{path}: uses CRLF line endings; kept as they are when saving"] if crlf else []
    final_newline = text.endswith(newline)
    body = text[: -len(newline)] if final_newline else text
    lines = body.split(newline)
    if len(lines) > MAX_LINES:
        raise DatasetError(f"has {len(lines)} lines; more than {MAX_LINES} scenarios in one file "
                           "is refused (is this the right file? split the trait otherwise)",
                           path, MAX_LINES + 1)
    blanks = [i for i, s in enumerate(lines, start=1) if not s.strip()]
    if blanks:
        shown = ", ".join(map(str, blanks[:10])) + (" ..." if len(blanks) > 10 else "")
        raise DatasetError(f"blank line{'s' if len(blanks) > 1 else ''} at {shown}; every line must "
                           "be a scenario (pairs are matched by line number)", path, blanks[0])
    for i, s in enumerate(lines, start=1):
        if len(s) > MAX_LINE_CHARS:
            raise DatasetError(f"line is {len(s)} characters long; scenarios over {MAX_LINE_CHARS} "
                               "characters are refused (a pasted paragraph?)", path, i)
    return LinesFile(path, lines, newline, final_newline, sha256(data), warnings)


def _first_bare_cr(text: str) -> int:
    for i, ch in enumerate(text):
        if ch == "\r" and (i + 1 >= len(text) or text[i + 1] != "\n"):
            return i
    return 0


def read_lines(path: Path) -> LinesFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError("is missing", path) from None
    except IsADirectoryError:
        raise DatasetError("is a folder, expected a text file", path) from None
    except OSError as exc:
        raise DatasetError(f"cannot be read ({exc.strerror})", path) from None
    return parse_lines(data, path)


def check_pairing(pos: LinesFile, neg: LinesFile) -> None:
    n, m = len(pos.lines), len(neg.lines)
    if n == m:
        return
    longer, shorter = (pos, neg) if n > m else (neg, pos)
    lo, hi = len(shorter.lines) + 1, len(longer.lines)
    span = f"line {lo}" if lo == hi else f"lines {lo}-{hi}"
    raise DatasetError(
        f"{longer.path.name} has {len(longer.lines)} lines but {shorter.path.name} has "
        f"{len(shorter.lines)}: {longer.path.name} {span} {'has' if lo == hi else 'have'} no partner "
        "(pairs are matched by line number)", longer.path, lo)


def read_definition(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError("is missing; the judge needs the trait's rubric (or pass --definition)",
                           path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DatasetError("not valid UTF-8; re-save the file as UTF-8", path, line) from None
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise DatasetError("is empty; the judge needs the trait's rubric (HIGH / LOW / Key)", path)
    return text


def parse_steering(text: str, path: Path | str) -> list[str]:
    path = Path(path)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"invalid JSON: {exc.msg} (column {exc.colno})", path, exc.lineno) from None
    if not isinstance(obj, dict) or "questions" not in obj:
        raise DatasetError('must be an object {"questions": [...]}', path, 1)
    qs = obj["questions"]
    if not isinstance(qs, list) or not all(isinstance(q, str) and q.strip() for q in qs):
        raise DatasetError('"questions" must be a list of non-empty strings', path, 1)
    if len(qs) != STEERING_QUESTIONS:
        raise DatasetError(f'"questions" has {len(qs)} entries; expected exactly {STEERING_QUESTIONS}',
                           path, 1)
    extra = sorted(set(obj) - {"questions"})
    if extra:
        raise DatasetError(f"unexpected key(s) {', '.join(extra)}; only \"questions\" is allowed", path, 1)
    return list(qs)


def read_steering(path: Path) -> list[str] | None:
    if not path.exists():
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError("not valid UTF-8", path) from None
    return parse_steering(text, path)


def load_trait(spec: str | Path, root: Path | None = None, *, definition: str | None = None,
               require_definition: bool = True, check_steering: bool = True) -> Trait:
    """Load and validate a whole trait. `definition` (e.g. from --definition) replaces the file."""
    name, folder = resolve_trait(str(spec), root)
    check_links(folder, root)
    check_interrupted_save(folder)
    pos = read_lines(folder / POSITIVE)
    neg = read_lines(folder / NEGATIVE)
    check_pairing(pos, neg)
    if definition is not None:
        if not definition.strip():
            raise DatasetError("--definition is empty; give the rubric text")
        defn: str | None = definition.strip()
    elif require_definition or (folder / DEFINITION).exists():
        defn = read_definition(folder / DEFINITION)
    else:
        defn = None
    steering = read_steering(folder / STEERING) if check_steering else None
    return Trait(name, folder, pos, neg, defn, steering)


def check_links(folder: Path, root: Path | None = None) -> None:
    """A trait's files may not be symlinks leading out of the datasets root (or, for a folder
    outside the root given by path, out of that folder): their text would be sent to the
    model and the judge, and a save would replace the link with a plain file."""
    base = (root or default_datasets_root()).resolve()
    try:
        folder.resolve().relative_to(base)
    except ValueError:
        base = folder.resolve()
    for name in (POSITIVE, NEGATIVE, DEFINITION, STEERING):
        path = folder / name
        if not path.is_symlink():
            continue
        target = path.resolve()
        try:
            target.relative_to(base)
        except ValueError:
            raise DatasetError(f"is a symlink to {target}, outside {base}; copy the file into the "
                               "trait folder instead", path) from None


def load_files(positive: Path, negative: Path, definition: str) -> Trait:
    """The --positive/--negative/--definition form: two files anywhere and a rubric string."""
    pos = read_lines(Path(positive))
    neg = read_lines(Path(negative))
    check_pairing(pos, neg)
    if not definition or not definition.strip():
        raise DatasetError("--definition is empty; give the rubric text or a path to definition.txt")
    d = Path(definition)
    if len(definition) < 4096 and "\n" not in definition and d.is_file():
        definition = read_definition(d)
    folder = Path(positive).resolve().parent
    return Trait(folder.name, folder, pos, neg, definition.strip())


# ---------------------------------------------------------------- writing

def render_lines(lines: list[str], newline: str = "\n", final_newline: bool = True,
                 path: Path | str | None = None) -> bytes:
    """The bytes of a scenario file. Refuses whatever parse_lines would refuse on the next load,
    so a save never writes a file that cannot be opened again."""
    if not lines:
        raise DatasetError("refusing to save an empty file: the next load would refuse it "
                           "(keep at least one pair)", path)
    if len(lines) > MAX_LINES:
        raise DatasetError(f"refusing to save {len(lines)} lines: more than {MAX_LINES} scenarios "
                           "in one file is refused on load", path, MAX_LINES + 1)
    for i, s in enumerate(lines, start=1):
        if "\n" in s or "\r" in s:
            raise DatasetError("a scenario may not contain a line break", path, i)
        if not s.strip():
            raise DatasetError("a scenario may not be blank", path, i)
        if len(s) > MAX_LINE_CHARS:
            raise DatasetError(f"line is {len(s)} characters long; scenarios over {MAX_LINE_CHARS} "
                               "characters are refused", path, i)
    if lines[0].startswith("\ufeff"):
        raise DatasetError("starts with an invisible byte-order mark (U+FEFF); remove it", path, 1)
    text = newline.join(lines) + (newline if final_newline else "")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DatasetError(f"contains a character that cannot be written as UTF-8 "
                           f"({text[exc.start]!r}, a lone surrogate?)", path,
                           text.count(newline, 0, exc.start) + 1) from None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_temp(target: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(target: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, rename over the target, fsync the folder."""
    tmp = _write_temp(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _current_digest(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def save_pair_files(folder: Path, positive: list[str], negative: list[str], *,
                    expected: dict[str, str | None] | None = None,
                    newline: dict[str, str] | None = None) -> dict[str, str]:
    """Save positive.txt and negative.txt together. Returns the new digests by file name.

    Both new files are written and fsynced before either replaces its original; a journal
    records the old and new digests so that a crash between the two renames is detected on
    the next load instead of silently leaving one file ahead of its partner. `expected` holds
    the digests seen at load time: if a file changed on disk since, ConflictError is raised
    and nothing is written.
    """
    if len(positive) != len(negative):
        raise DatasetError(f"refusing to save {len(positive)} positive and {len(negative)} negative "
                           "lines: pairs must stay matched", folder)
    newline = newline or {}
    payload = {POSITIVE: render_lines(positive, newline.get(POSITIVE, "\n"), path=folder / POSITIVE),
               NEGATIVE: render_lines(negative, newline.get(NEGATIVE, "\n"), path=folder / NEGATIVE)}
    before = {name: _current_bytes(folder / name) for name in payload}
    old = {name: (sha256(b) if b is not None else None) for name, b in before.items()}
    if expected is not None:
        changed = [n for n in payload if n in expected and expected[n] != old[n]]
        if changed:
            raise ConflictError(f"{', '.join(changed)} changed on disk since it was loaded; "
                                "reload or resolve the conflict before saving", folder / changed[0])
    new = {name: sha256(data) for name, data in payload.items()}
    todo = [n for n in payload if new[n] != old[n]]
    if not todo:
        return new
    temps: dict[str, Path] = {}
    journal = folder / JOURNAL
    try:
        try:
            for name in todo:
                temps[name] = _write_temp(folder / name, payload[name])
            if expected is not None:
                # Another editor may have saved while our temp files were written.
                changed = [n for n in todo if _current_digest(folder / n) != old[n]]
                if changed:
                    raise ConflictError(f"{', '.join(changed)} changed on disk during the save; "
                                        "nothing was written: reload or resolve the conflict",
                                        folder / changed[0])
            if len(todo) == 2:
                atomic_write(journal, json.dumps(
                    {"old": {n: old[n] for n in todo}, "new": {n: new[n] for n in todo}}).encode())
        except OSError as exc:
            journal.unlink(missing_ok=True)
            raise DatasetError(f"could not write the new files ({exc.strerror or exc}); "
                               "nothing was changed", folder) from exc
        done: list[str] = []
        try:
            for name in todo:
                os.replace(temps[name], folder / name)
                del temps[name]
                done.append(name)
        except BaseException as exc:
            undone = _roll_back(folder, done, before)
            if undone:
                journal.unlink(missing_ok=True)
            raise DatasetError(
                f"save interrupted after {', '.join(done) or 'no file'} was replaced ({exc}); "
                + ("nothing was changed" if undone else
                   "the files are out of step: the next load says how to recover"), folder) from exc
        _fsync_dir(folder)
        try:
            journal.unlink(missing_ok=True)
        except OSError:
            pass    # the pair is consistent: the next load removes a stale journal
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return new


def _current_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _roll_back(folder: Path, done: list[str], before: dict[str, bytes | None]) -> bool:
    """Put back the files a failed pair save already replaced. True when the pair is as it was."""
    try:
        for name in done:
            if before[name] is None:
                (folder / name).unlink(missing_ok=True)
            else:
                atomic_write(folder / name, before[name])
    except BaseException:
        return False
    return True


def check_interrupted_save(folder: Path) -> None:
    """Detect a pair save that died between its two renames (see save_pair_files)."""
    journal = folder / JOURNAL
    if not journal.exists():
        return
    try:
        record = json.loads(journal.read_text())
        old, new = record["old"], record["new"]
    except (OSError, ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)
        return
    state = {}
    for name in new:
        cur = _current_digest(folder / name)
        state[name] = "new" if cur == new[name] else "old" if cur == old.get(name) else "other"
    if len(set(state.values())) <= 1:
        # Both renames happened, or neither did: the pair is consistent.
        journal.unlink(missing_ok=True)
        return
    detail = ", ".join(f"{n} has the {s} content" for n, s in sorted(state.items()))
    raise DatasetError(
        f"a save of this pair was interrupted: {detail}. Check both files by hand (git diff helps), "
        f"then delete {JOURNAL} to continue", folder / JOURNAL)
