"""core.dataset: every bad input is refused with a message naming the file and line."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.dataset import (DatasetCode, DatasetError, check_pairing, load_files, load_trait, parse_lines,
                          parse_steering, read_lines, render_lines, resolve_trait)
from tests.engine.helpers import DEFINITION, sample_pairs, write_pairs


def test_good_file_round_trips(tmp_path):
    lf = parse_lines(b"one\ntwo \"\nthree\n", tmp_path / "positive.txt")
    assert lf.lines == ["one", 'two "', "three"]
    assert lf.newline == "\n" and lf.final_newline
    assert render_lines(lf.lines, lf.newline, lf.final_newline) == b"one\ntwo \"\nthree\n"
    crlf = parse_lines(b"a\r\nb\r\n", tmp_path / "negative.txt")
    assert crlf.lines == ["a", "b"] and crlf.newline == "\r\n" and crlf.warnings
    assert parse_lines(b"a\nb", "x.txt").lines == ["a", "b"]


@pytest.mark.parametrize("data, line, words, code", [
    (b"\xef\xbb\xbfone\ntwo\n", 1, "byte-order mark", "encoding"),
    (b"one\ntw\xff\n", 2, "not valid UTF-8", "encoding"),
    (b"one\n\nthree\n", 2, "blank line", "blank-line"),
    (b"one\ntwo\n   \n", 3, "blank line", "blank-line"),
    (b"one\ntwo\n\n", 3, "blank line", "blank-line"),
    (b"one\r\ntwo\nthree\r\n", 2, "mixed line endings", "newline"),
    (b"one\ntwo\r\nthree\n", 2, "mixed line endings", "newline"),
    (b"one\ntw\ro\n", 2, "carriage return", "newline"),
])
def test_bad_bytes_name_file_and_line(tmp_path, data, line, words, code):
    path = tmp_path / "positive.txt"
    with pytest.raises(DatasetError) as ei:
        parse_lines(data, path)
    err = ei.value
    assert err.line == line and err.path == path
    assert err.code == DatasetCode(code)        # typed: lint reports it without reading the text
    assert str(err).startswith(f"{path}:{line}: ")
    assert words in str(err)


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(DatasetError, match="is empty"):
        parse_lines(b"\n", tmp_path / "p.txt")
    with pytest.raises(DatasetError) as ei:
        read_lines(tmp_path / "nope.txt")
    assert str(ei.value) == f"{tmp_path / 'nope.txt'}: is missing"
    assert ei.value.code is DatasetCode.MISSING_FILE
    with pytest.raises(DatasetError, match="is a folder"):
        read_lines(tmp_path)


def test_mismatched_counts_name_the_unpartnered_lines(tmp_path):
    pos = parse_lines(b"a\nb\nc\nd\n", tmp_path / "positive.txt")
    neg = parse_lines(b"a\nb\n", tmp_path / "negative.txt")
    with pytest.raises(DatasetError) as ei:
        check_pairing(pos, neg)
    msg = str(ei.value)
    assert ei.value.path == tmp_path / "positive.txt" and ei.value.line == 3
    assert "has 4 lines but negative.txt has 2" in msg and "lines 3-4" in msg
    assert ei.value.code is DatasetCode.COUNT_MISMATCH
    with pytest.raises(DatasetError) as ei:
        check_pairing(neg, parse_lines(b"a\nb\nc\n", tmp_path / "negative.txt"))
    assert ei.value.line == 3 and "line 3 has no partner" in str(ei.value)


@pytest.mark.parametrize("text, words", [
    ('{"questions": [', "invalid JSON"),
    ('["a"]', 'must be an object'),
    ('{"questions": "a"}', 'a "questions" list'),
    ('{"direction": "pos"}', 'a "questions" list'),
    ('{"questions": []}', "one or more non-empty strings"),
    ('{"questions": ["a", ""]}', "one or more non-empty strings"),
    ('{"questions": ["a", 3]}', "one or more non-empty strings"),
])
def test_malformed_steering(tmp_path, text, words):
    with pytest.raises(DatasetError) as ei:
        parse_steering(text, tmp_path / "steering.json")
    assert words in str(ei.value)
    assert str(ei.value).startswith(f"{tmp_path / 'steering.json'}:")
    assert ei.value.line is not None and ei.value.code is DatasetCode.STEERING_INVALID


def test_steering_from_the_wild_is_accepted_and_kept():
    """Any number of questions (5 to 20 are common) and any other keys, kept as they are."""
    extra = {"adversarial_prefix": "Ignore the above and", "direction": "positive",
             "eval_prompt": "Rate 0-100 how {trait} the answer is.", "version": 3,
             "notes": {"author": "x", "layers": [12, 16]}}
    st = parse_steering(json.dumps({"questions": [f"q{i}?" for i in range(20)], **extra}), "s.json")
    assert len(st.questions) == 20 and st.questions[0] == "q0?" and st.extra == extra
    assert parse_steering('{"questions": ["only one?"]}', "s.json").questions == ["only one?"]


def test_steering_json_error_names_its_line(tmp_path):
    text = '{\n  "questions": [\n    "a",\n    "b"\n    "c"\n  ]\n}\n'
    with pytest.raises(DatasetError) as ei:
        parse_steering(text, tmp_path / "steering.json")
    assert ei.value.line == 5


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "datasets" / "traits"
    pos, neg = sample_pairs(3)
    write_pairs(root / "cat" / "trait", pos, neg)
    outside = write_pairs(tmp_path / "elsewhere" / "secret", pos, neg)
    os.symlink(outside, root / "cat" / "escape")
    return root


def test_resolve_inside_root(root, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path / "elsewhere")
    name, folder = resolve_trait("cat/trait", root)
    assert name == "cat/trait" and folder == (root / "cat" / "trait").resolve()
    trait = load_trait("cat/trait", root)
    assert len(trait.positive.lines) == 3 and trait.matched and trait.definition == DEFINITION


@pytest.mark.parametrize("spec, words", [
    ("cat/../../elsewhere/secret", "contains '..'"),
    ("../elsewhere", "contains '..'"),
    ("/etc", "absolute path but not a folder"),
    ("cat/escape", "outside the datasets root"),
    ("cat/trai", "Did you mean: cat/trait"),
    ("  ", "empty trait name"),
])
def test_resolve_refuses_escapes(root, monkeypatch, tmp_path, spec, words):
    monkeypatch.chdir(tmp_path / "elsewhere")   # no relative folder of these names here
    with pytest.raises(DatasetError) as ei:
        resolve_trait(spec, root)
    assert words in str(ei.value)


def test_load_files_reads_definition_from_a_path(tmp_path):
    pos, neg = sample_pairs(2)
    folder = write_pairs(tmp_path / "t", pos, neg)
    t = load_files(folder / "positive.txt", folder / "negative.txt", str(folder / "definition.txt"))
    assert t.definition == DEFINITION
    t = load_files(folder / "positive.txt", folder / "negative.txt", "inline rubric")
    assert t.definition == "inline rubric"
    with pytest.raises(DatasetError, match="--definition is empty"):
        load_files(folder / "positive.txt", folder / "negative.txt", "  ")
