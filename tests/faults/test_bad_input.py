"""Bad input: each case gets one clear message naming the file (and the line where there is one),
from the loader, from `scenarios test` and from `scenarios edit`, and nothing is written:
no results.json, no cache, no change to the dataset. Then property-based tests of the parsers.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from core.cli import main
from core.dataset import (MAX_LINE_CHARS, NEGATIVE, POSITIVE, DatasetError, load_trait,
                          parse_lines, render_lines, save_pair_files)

from .conftest import snapshot_tree

POS = [f"positive scenario {i}, so I said confidently \"" for i in range(6)]
NEG = [f"negative scenario {i}, so I admitted \"" for i in range(6)]
STEER = {"questions": [f"Question {i}?" for i in range(10)]}


def lines_bytes(lines: list[str], nl: str = "\n") -> bytes:
    return (nl.join(lines) + nl).encode()


@dataclass
class Case:
    name: str
    files: dict[str, Optional[bytes]]     # file name -> bytes (None: absent); others default
    spec: str = "cat/trait"               # what the user types after --trait
    file: Optional[str] = None            # the file the message must name (None: the trait)
    line: Optional[int] = None
    words: str = ""                       # a phrase the message must contain


CASES = [
    Case("non-UTF-8 bytes", {POSITIVE: lines_bytes(POS[:2]) + b"caf\xe9 au lait, so I said \"\n" + lines_bytes(POS[3:])},
         file=POSITIVE, line=3, words="not valid UTF-8"),
    Case("UTF-8 BOM", {NEGATIVE: b"\xef\xbb\xbf" + lines_bytes(NEG)}, file=NEGATIVE, line=1,
         words="byte-order mark"),
    Case("mixed CRLF and LF newlines", {POSITIVE: (POS[0] + "\r\n" + POS[1] + "\r\n" + POS[2] + "\n"
                                                   + "\r\n".join(POS[3:]) + "\r\n").encode()},
         file=POSITIVE, line=3, words="mixed line endings"),
    Case("bare CR newlines", {NEGATIVE: "\r".join(NEG).encode() + b"\r"}, file=NEGATIVE, line=1,
         words="carriage return"),
    Case("blank line", {POSITIVE: lines_bytes(POS[:3] + [""] + POS[3:])}, file=POSITIVE, line=4,
         words="blank line"),
    Case("whitespace-only line", {NEGATIVE: lines_bytes(NEG[:5] + ["   \t "] + NEG[5:])},
         file=NEGATIVE, line=6, words="blank line"),
    Case("100 KB line", {POSITIVE: lines_bytes(POS[:1] + ["x" * 100_000] + POS[2:])}, file=POSITIVE,
         line=2, words="100000 characters"),
    Case("10,000-line file", {POSITIVE: lines_bytes([f"p{i} \"" for i in range(10_000)]),
                              NEGATIVE: lines_bytes([f"n{i} \"" for i in range(10_000)])},
         file=POSITIVE, line=5001, words="10000 lines"),
    Case("mismatched counts", {NEGATIVE: lines_bytes(NEG[:4])}, file=POSITIVE, line=5,
         words="no partner"),
    Case("missing negative.txt", {NEGATIVE: None}, file=NEGATIVE, words="missing"),
    Case("empty positive.txt", {POSITIVE: b""}, file=POSITIVE, words="empty"),
    Case("empty definition.txt", {"definition.txt": b"  \n\n"}, file="definition.txt", words="empty"),
    Case("missing definition.txt", {"definition.txt": None}, file="definition.txt", words="missing"),
    Case("trait name with ..", {}, spec="cat/../../outside/trait", words="contains '..'"),
    Case("absolute path that is no dataset", {}, spec="/etc", words="absolute path"),
    Case("symlinked trait folder outside the root", {}, spec="cat/link", words="outside the datasets root"),
    Case("symlinked positive.txt outside the root", {}, spec="cat/filelink", file=POSITIVE,
         words="outside"),
]


@pytest.fixture
def world(tmp_path, monkeypatch):
    """cwd with datasets/traits/cat/trait, plus a folder outside the root holding a valid pair."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "datasets" / "traits"
    outside = tmp_path / "outside" / "trait"
    for folder in (root / "cat" / "trait", outside):
        folder.mkdir(parents=True)
        (folder / POSITIVE).write_bytes(lines_bytes(POS))
        (folder / NEGATIVE).write_bytes(lines_bytes(NEG))
        (folder / "definition.txt").write_text("HIGH (70-100): fakes it.\nLOW (0-30): admits it.\n")
        (folder / "steering.json").write_text(json.dumps(STEER))
    (root / "cat" / "link").symlink_to(outside, target_is_directory=True)
    fl = root / "cat" / "filelink"
    fl.mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("private notes line one\nprivate notes line two\n")
    (fl / POSITIVE).symlink_to(tmp_path / "outside" / "secret.txt")
    (fl / NEGATIVE).write_bytes(lines_bytes(NEG[:2]))
    (fl / "definition.txt").write_text("HIGH: x.\nLOW: y.\n")
    return tmp_path


def apply(case: Case, world: Path) -> Path:
    folder = world / "datasets" / "traits" / "cat" / "trait"
    for name, data in case.files.items():
        if data is None:
            (folder / name).unlink()
        else:
            (folder / name).write_bytes(data)
    return folder


def check_message(case: Case, msg: str, world: Path) -> None:
    assert case.words in msg, msg
    if case.file:
        assert case.file in msg, msg
    if case.line:
        assert f"{case.file}:{case.line}:" in msg, msg
    if not case.file:
        assert case.spec in msg, msg


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_file_and_line_and_nothing_written(case, world, capsys, figures):
    apply(case, world)
    before = snapshot_tree(world)
    with pytest.raises(DatasetError) as info:
        load_trait(case.spec)
    err = info.value
    msg = str(err)
    check_message(case, msg, world)
    if case.file:
        assert err.path is not None and err.path.name == case.file
        assert err.line == case.line
    figures["bad_inputs"].append([case.name, msg.replace(str(world), "<tmp>")])

    # `scenarios test` (no judge key needed: the dataset is checked first): exit 2, the same
    # message, nothing written anywhere (no results.json, no cache, dataset untouched).
    capsys.readouterr()
    rc = main(["test", "--trait", case.spec, "--workdir", str(world / "run"), "--quiet",
               "--local", "--model", str(world / "no-model")])
    out = capsys.readouterr()
    assert rc == 2
    assert msg in out.err, out.err
    assert out.err.count("\n") <= 2, out.err            # one clear message, not a traceback
    rc = main(["edit", case.spec, "--local", "--model", str(world / "no-model")])
    out = capsys.readouterr()
    assert rc == 2 and msg in out.err, out.err
    assert snapshot_tree(world) == before


@pytest.mark.parametrize("steering, words", [
    (b'{"questions": [\n  "a?",\n  "b?"\n', "steering.json:4: invalid JSON"),
    (json.dumps(STEER["questions"]).encode(), 'steering.json:1: must be an object'),
    (json.dumps({"questions": list(range(10))}).encode(), "steering.json:1: \"questions\" must be"),
])
def test_broken_steering_json_is_a_warning_never_a_refusal(world, steering, words):
    """Testing and editing never read steering.json: a broken one loads with a warning."""
    folder = world / "datasets" / "traits" / "cat" / "trait"
    (folder / "steering.json").write_bytes(steering)
    trait = load_trait("cat/trait")
    assert trait.steering is None and trait.positive.lines == POS
    assert any(words in w for w in trait.warnings), trait.warnings


def test_crlf_files_load_and_keep_their_line_endings(world, figures):
    folder = world / "datasets" / "traits" / "cat" / "trait"
    (folder / POSITIVE).write_bytes(lines_bytes(POS, "\r\n"))
    trait = load_trait("cat/trait")
    assert trait.positive.lines == POS and trait.negative.lines == NEG
    assert any("CRLF" in w and POSITIVE in w for w in trait.warnings)
    figures["bad_inputs"].append(["CRLF newlines (accepted)", trait.warnings[0].replace(str(world), "<tmp>")])
    save_pair_files(folder, POS[:-1] + ["edited, so I said \""], NEG,
                    expected={POSITIVE: trait.positive.digest, NEGATIVE: trait.negative.digest},
                    newline={POSITIVE: trait.positive.newline, NEGATIVE: trait.negative.newline})
    raw = (folder / POSITIVE).read_bytes()
    assert raw.count(b"\r\n") == len(POS) and b"\n" not in raw.replace(b"\r\n", b"")
    assert (folder / NEGATIVE).read_bytes() == lines_bytes(NEG)


@pytest.mark.parametrize("bad,words,line", [
    (["x" * (MAX_LINE_CHARS + 1), "ok \""], "characters", 1),
    (["\ufeffstarts with a BOM \"", "ok \""], "byte-order mark", 1),
    (["ok \"", "lone \ud800 surrogate \""], "UTF-8", 2),
    (["ok \"", "   "], "blank", 2),
    (["ok \"", "two\nlines"], "line break", 2),
])
def test_a_save_never_writes_what_the_next_load_would_refuse(world, bad, words, line, figures):
    folder = world / "datasets" / "traits" / "cat" / "trait"
    before = snapshot_tree(world)
    with pytest.raises(DatasetError) as info:
        save_pair_files(folder, bad, ["neg one \"", "neg two \""])
    msg = str(info.value)
    assert words in msg and f"{POSITIVE}:{line}:" in msg, msg
    assert snapshot_tree(world) == before
    figures["bad_inputs"].append([f"save of {bad[line - 1][:20]!r}", msg.replace(str(world), "<tmp>")])


def test_saving_zero_pairs_is_refused(world):
    folder = world / "datasets" / "traits" / "cat" / "trait"
    before = snapshot_tree(world)
    with pytest.raises(DatasetError) as info:
        save_pair_files(folder, [], [])
    assert "empty" in str(info.value)
    assert snapshot_tree(world) == before


# ------------------------------------------------------------------------------ properties

# One scenario: any text without a line break that is not blank. Hypothesis draws from all of
# Unicode (no surrogates), including U+2028, NEL, NUL, combining marks and other oddities.
scenario = st.text(min_size=1, max_size=60).filter(lambda s: "\n" not in s and "\r" not in s and s.strip())
scenarios = st.lists(scenario, min_size=1, max_size=25)


def first_ok(lines: list[str]) -> bool:
    return not lines[0].startswith("\ufeff")


@settings(max_examples=300, deadline=None)
@given(lines=scenarios, crlf=st.booleans())
@example(lines=["a\u2028b", "\x85x", "\x00"], crlf=False)
@example(lines=["\ufeffx"], crlf=False)
def test_parse_of_render_is_identity(lines, crlf):
    nl = "\r\n" if crlf else "\n"
    try:
        data = render_lines(lines, nl)
    except DatasetError:
        assert not first_ok(lines)          # the only valid-looking input render refuses
        return
    parsed = parse_lines(data, "positive.txt")
    assert parsed.lines == lines
    assert parsed.newline == nl


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(scenario, scenario), min_size=1, max_size=15), crlf=st.booleans())
def test_load_of_save_is_identity(pairs, crlf):
    pos = [p for p, _ in pairs]
    neg = [n for _, n in pairs]
    assume(first_ok(pos) and first_ok(neg))
    nl = "\r\n" if crlf else "\n"
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "trait"
        folder.mkdir()
        (folder / "definition.txt").write_text("HIGH: x.\nLOW: y.\n")
        save_pair_files(folder, pos, neg, newline={POSITIVE: nl, NEGATIVE: nl})
        trait = load_trait(str(folder))
        assert trait.positive.lines == pos and trait.negative.lines == neg
        # and saving what was loaded writes the same bytes (no drift over many saves)
        before = snapshot_tree(folder)
        save_pair_files(folder, trait.positive.lines, trait.negative.lines,
                        newline={POSITIVE: trait.positive.newline, NEGATIVE: trait.negative.newline})
        assert snapshot_tree(folder) == before


@settings(max_examples=400, deadline=None)
@given(data=st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"a", b"b \"", b"\n", b"\r\n", b"\r", b" ", b"\xef\xbb\xbf", b"\xff",
                              b"\xc3\xa9", b"\xe2\x80\xa8", b"\t"]), max_size=40).map(b"".join)))
def test_parse_lines_on_any_bytes_accepts_or_says_where(data):
    """Any bytes: a DatasetError naming the file (and a line inside the file), or lines that
    render back to exactly the same bytes."""
    try:
        parsed = parse_lines(data, "positive.txt")
    except DatasetError as exc:
        assert exc.path is not None and exc.path.name == "positive.txt"
        if exc.line is not None:
            assert 1 <= exc.line <= data.count(b"\n") + 1
        return
    assert render_lines(parsed.lines, parsed.newline, parsed.final_newline) == data
