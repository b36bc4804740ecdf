"""One dataset file at a time: the names, the typed errors, and parsing each file's bytes.

Pure where it can be (`parse_lines`, `parse_steering` take bytes or text); the `read_*`
functions add the file access. Every problem is a DatasetError naming the file and, where it
applies, the line, with a `code` that says what kind of problem it is (lint reports that code;
nobody has to search the message text for it).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

POSITIVE = "positive.txt"
NEGATIVE = "negative.txt"
DEFINITION = "definition.txt"
STEERING = "steering.json"
JOURNAL = ".scenarios-save.json"

# Refuse inputs that are almost certainly mistakes (a wrong file, a pasted blob) before they
# become thousands of paid judge calls.
MAX_LINE_CHARS = 8000
MAX_LINES = 5000
# The plan asks new datasets for 10 steering questions; datasets in the wild carry 5 to 20, and
# nothing in testing reads them, so another count is a lint warning, never a load error.
STEERING_QUESTIONS = 10


class DatasetCode(StrEnum):
    """What kind of problem a DatasetError is. The values are the lint codes it becomes."""
    NO_TRAIT = "no-trait"
    MISSING_FILE = "missing-file"
    ENCODING = "encoding"
    EMPTY_FILE = "empty-file"
    BLANK_LINE = "blank-line"
    NEWLINE = "newline"
    FILE_LIMITS = "file-limits"
    UNREADABLE = "unreadable"
    SYMLINK = "symlink"
    COUNT_MISMATCH = "count-mismatch"
    DEFINITION_MISSING = "definition-missing"
    STEERING_INVALID = "steering-invalid"
    USAGE = "usage"
    INTERRUPTED_SAVE = "interrupted-save"
    CONFLICT = "conflict"
    SAVE_FAILED = "save-failed"


class DatasetError(Exception):
    """Bad dataset input. `path` and `line` say where, `code` what kind; str() is the full
    user-facing message."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None,
                 code: DatasetCode = DatasetCode.UNREADABLE):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.code = code
        self.bare = message
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line else f"{self.path}: "
        super().__init__(where + message)


class ConflictError(DatasetError):
    """The file changed on disk since it was loaded; saving would overwrite someone's work."""

    def __init__(self, message: str, path: Path | str | None = None):
        super().__init__(message, path, code=DatasetCode.CONFLICT)


@dataclass(frozen=True)
class LinesFile:
    """One side's scenarios. `lines` is empty only for a side that was not given (a one-sided
    run of candidate lines); a file on disk always holds at least one line."""
    path: Path
    lines: list[str]
    newline: str = "\n"
    final_newline: bool = True
    digest: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Steering:
    """steering.json: the evaluation questions, and every other key exactly as the file has it
    (datasets in the wild carry `adversarial_prefix`, `direction`, `eval_prompt`, ...)."""
    questions: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes; None when there is no readable file there. The one digest
    function: loads, saves, the journal and the folder watcher all compare these."""
    try:
        return sha256(Path(path).read_bytes())
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError):
        return None


def parse_lines(data: bytes, path: Path | str) -> LinesFile:
    """Validate and split one scenario file's bytes. Pure: no file access."""
    path = Path(path)
    C = DatasetCode
    if data.startswith(b"\xef\xbb\xbf"):
        raise DatasetError("starts with a UTF-8 byte-order mark (BOM), which would reach the model "
                           "as text; save the file as UTF-8 without BOM", path, 1, C.ENCODING)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DatasetError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {col}); "
                           "re-save the file as UTF-8", path, line, C.ENCODING) from None
    if not text.strip():
        raise DatasetError("is empty; write one scenario per line", path, code=C.EMPTY_FILE)
    crlf = text.count("\r\n")
    lf_only = text.count("\n") - crlf
    bare_cr = text.count("\r") - crlf
    if bare_cr:
        line = text[: _first_bare_cr(text)].count("\n") + 1
        raise DatasetError("contains a bare carriage return (old Mac line ending) inside a line; "
                           "use LF or CRLF line endings", path, line, C.NEWLINE)
    if crlf and lf_only:
        raw = text.split("\n")
        first_style = raw[0].endswith("\r")
        for i, seg in enumerate(raw[:-1], start=1):
            if seg.endswith("\r") != first_style:
                raise DatasetError(
                    f"mixed line endings: this line ends with {'CRLF' if not first_style else 'LF'} "
                    f"but line 1 with {'CRLF' if first_style else 'LF'}; convert the file to one style",
                    path, i, C.NEWLINE)
    newline = "\r\n" if crlf else "\n"
    warnings = [f"{path}: uses CRLF line endings; kept as they are when saving"] if crlf else []
    final_newline = text.endswith(newline)
    body = text[: -len(newline)] if final_newline else text
    lines = body.split(newline)
    if len(lines) > MAX_LINES:
        raise DatasetError(f"has {len(lines)} lines; more than {MAX_LINES} scenarios in one file "
                           "is refused (is this the right file? split the trait otherwise)",
                           path, MAX_LINES + 1, C.FILE_LIMITS)
    blanks = [i for i, s in enumerate(lines, start=1) if not s.strip()]
    if blanks:
        shown = ", ".join(map(str, blanks[:10])) + (" ..." if len(blanks) > 10 else "")
        raise DatasetError(f"blank line{'s' if len(blanks) > 1 else ''} at {shown}; every line must "
                           "be a scenario (pairs are matched by line number)", path, blanks[0],
                           C.BLANK_LINE)
    for i, s in enumerate(lines, start=1):
        if len(s) > MAX_LINE_CHARS:
            raise DatasetError(f"line is {len(s)} characters long; scenarios over {MAX_LINE_CHARS} "
                               "characters are refused (a pasted paragraph?)", path, i, C.FILE_LIMITS)
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
        raise DatasetError("is missing", path, code=DatasetCode.MISSING_FILE) from None
    except IsADirectoryError:
        raise DatasetError("is a folder, expected a text file", path) from None
    except OSError as exc:
        raise DatasetError(f"cannot be read ({exc.strerror})", path) from None
    return parse_lines(data, path)


def read_definition(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError("is missing; the judge needs the trait's rubric (or pass --definition)",
                           path, code=DatasetCode.DEFINITION_MISSING) from None
    except OSError as exc:
        raise DatasetError(f"cannot be read ({exc.strerror})", path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DatasetError("not valid UTF-8; re-save the file as UTF-8", path, line,
                           DatasetCode.ENCODING) from None
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise DatasetError("is empty; the judge needs the trait's rubric (HIGH / LOW / Key)", path,
                           code=DatasetCode.DEFINITION_MISSING)
    return text


def parse_steering(text: str, path: Path | str) -> Steering:
    """steering.json's text -> Steering. Refuses only what no reader could use: invalid JSON,
    no "questions" list, a question that is not a non-empty string. Any number of questions
    (one or more) and any other keys are fine."""
    path = Path(path)
    invalid = DatasetCode.STEERING_INVALID
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"invalid JSON: {exc.msg} (column {exc.colno})", path, exc.lineno,
                           invalid) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("questions"), list):
        raise DatasetError('must be an object with a "questions" list: {"questions": [...]}',
                           path, 1, invalid)
    qs = obj["questions"]
    if not qs or not all(isinstance(q, str) and q.strip() for q in qs):
        raise DatasetError('"questions" must be a list of one or more non-empty strings', path, 1,
                           invalid)
    return Steering(list(qs), {k: v for k, v in obj.items() if k != "questions"})


def read_steering(path: Path) -> Steering | None:
    """steering.json, or None when the trait has none."""
    if not path.exists():
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError("not valid UTF-8", path, code=DatasetCode.STEERING_INVALID) from None
    except OSError as exc:
        raise DatasetError(f"cannot be read ({exc.strerror})", path,
                           code=DatasetCode.STEERING_INVALID) from None
    return parse_steering(text, path)
