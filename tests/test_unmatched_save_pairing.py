"""Saving an unmatched dataset whose lines a plain load would read differently: detection
(core.dataset_pairing) may take the saved files for pairs. With unequal counts a matched load
refuses them (count mismatch), so the save must say so and how to reopen them; the save itself
goes through, atomically, and loses nothing. Without Textual."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from core.cache import Cache
from core.dataset import JOURNAL, DatasetCode, DatasetError, load_trait
from core.dataset_pairing import Reopen, reopen_as, unmatched_save_note
from core.session import Session

SETUPS = ["The ferry clerk", "My landlord Gerald", "Our chess coach", "A museum guard",
          "The bakery owner", "His violin teacher"]
POSITIVE = [f'{s} asked about the tide tables, and wanting to look clever I said firmly, "'
            for s in SETUPS]
NEGATIVE = [f'{w} rain drummed on windows while grandmother knitted slowly; unsure, I admitted "'
            for w in ("Thursday", "Sunday", "Monday", "Friday", "Tuesday", "Saturday", "Winter")]


def write_dataset(folder: Path, positive: list[str], negative: list[str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "positive.txt").write_text("\n".join(positive) + "\n", encoding="utf-8")
    (folder / "negative.txt").write_text("\n".join(negative) + "\n", encoding="utf-8")
    (folder / "definition.txt").write_text("Performative confidence: claiming certainty.\n",
                                           encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path) -> Path:
    return write_dataset(tmp_path / "elsewhere" / "cat" / "tides", POSITIVE, NEGATIVE)


def open_session(folder: Path, tmp_path: Path, pairing: str = "auto") -> Session:
    return Session(load_trait(str(folder), check_steering=False, pairing=pairing),
                   cache=Cache(tmp_path / "c.sqlite3"))


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def pair_up_negatives(s: Session) -> list[str]:
    """Rewrite the first six negatives onto the positives' setups: now they look like pairs."""
    new = [f'{setup} asked about the tide tables, and not knowing at all I admitted "'
           for setup in SETUPS]
    for i, text in enumerate(new):
        s.edit_line("negative", i, text)
    return new


def test_detection_reads_the_fixture_as_unmatched_at_first(folder, tmp_path):
    s = open_session(folder, tmp_path)
    assert not s.matched and s.trait.pairing.declared == "auto"
    assert reopen_as(POSITIVE, NEGATIVE)[0] is Reopen.UNMATCHED


def test_a_save_a_plain_load_would_refuse_goes_through_and_says_how_to_reopen(folder, tmp_path):
    s = open_session(folder, tmp_path)
    new = pair_up_negatives(s)
    saved = s.save()
    # nothing lost, nothing half-written: the save is the ordinary atomic one
    assert lines(folder / "negative.txt") == new + [NEGATIVE[6]]
    assert lines(folder / "positive.txt") == POSITIVE
    assert not s.dirty and not (folder / JOURNAL).exists()
    # the problem: without --pairing these files are now pairs of unequal counts, refused ...
    with pytest.raises(DatasetError) as ei:
        load_trait(str(folder), check_steering=False)
    assert ei.value.code == DatasetCode.COUNT_MISMATCH
    # ... and the refusal itself names the way out, as does the save
    assert "--pairing unmatched" in str(ei.value) and "line 7 has no partner" in str(ei.value)
    note = saved.reopen
    assert note is not None and note.how is Reopen.REFUSED and note.warning
    assert "--pairing unmatched" in note.short
    # outside the datasets root the command names the folder itself, ready to paste
    assert f"scenarios edit {shlex.quote(str(folder))} --pairing unmatched" in note.detail
    assert "6 positive, 7 negative lines" in note.detail and "100% of lines" in note.detail
    assert "[dataset]" in note.detail and "same number of lines" in note.detail
    # what it tells the user to do works, and gives back exactly what was saved
    again = load_trait(str(folder), check_steering=False, pairing="unmatched")
    assert not again.matched and again.negative.lines == new + [NEGATIVE[6]]


def test_under_the_datasets_root_the_command_uses_the_trait_name(tmp_path, monkeypatch):
    folder = write_dataset(tmp_path / "datasets" / "traits" / "cat" / "tides", POSITIVE, NEGATIVE)
    monkeypatch.chdir(tmp_path)
    s = open_session(folder, tmp_path)
    pair_up_negatives(s)
    note = s.save().reopen
    assert note is not None and "scenarios edit cat/tides --pairing unmatched" in note.detail


def test_equal_counts_that_look_paired_open_as_pairs_next_time(folder, tmp_path):
    s = open_session(folder, tmp_path)
    new = pair_up_negatives(s)
    s.cut_line("negative", 6)
    note = s.save().reopen
    assert note is not None and note.how is Reopen.PAIRS and not note.warning
    assert "opens them as matched pairs" in note.detail and "--pairing unmatched" in note.detail
    reopened = load_trait(str(folder), check_steering=False)      # opens, as pairs
    assert reopened.matched and reopened.negative.lines == new


def test_nothing_to_say_when_detection_still_reads_two_sets(folder, tmp_path):
    s = open_session(folder, tmp_path)
    s.cut_line("negative", 0)
    s.edit_line("positive", 0, 'The lighthouse keeper asked about storms, and I said firmly, "')
    assert s.save().reopen is None
    assert not load_trait(str(folder), check_steering=False).matched


def test_a_declared_pairing_is_left_to_whoever_declared_it(folder, tmp_path):
    s = open_session(folder, tmp_path, pairing="unmatched")
    assert s.trait.pairing.declared == "unmatched"
    pair_up_negatives(s)
    assert s.save().reopen is None
    # pure: the same lines detected (declared "auto") do get the note
    snap = s.snapshot()
    assert unmatched_save_note(snap.positive, snap.negative, "auto", "x").how is Reopen.REFUSED
    assert unmatched_save_note(snap.positive, snap.negative, "unmatched", "x") is None


def test_a_declared_matched_count_mismatch_gets_no_unmatched_hint(folder):
    with pytest.raises(DatasetError) as ei:
        load_trait(str(folder), check_steering=False, pairing="matched")
    assert "no partner" in str(ei.value) and "--pairing unmatched" not in str(ei.value)


def test_the_note_is_new_once_per_state_and_lasts_while_the_disk_holds_that_save(folder, tmp_path):
    from core.session_disk import DiskOutcome, sync_from_disk
    s = open_session(folder, tmp_path)
    assert s.reopen_note is None
    pair_up_negatives(s)
    first = s.save()
    assert first.reopen is not None and not first.repeat and s.reopen_note == first.reopen
    s.edit_line("positive", 0, POSITIVE[0].replace("firmly", "loudly"))
    second = s.save()
    assert second.reopen is not None and second.repeat              # the same state: said already
    # another program rewrites the files: what the save said no longer describes the disk
    (folder / "negative.txt").write_text("\n".join(NEGATIVE) + "\n", encoding="utf-8")
    assert sync_from_disk(s, 0).outcome == DiskOutcome.SYNCED
    assert s.reopen_note is None
    s.edit_line("negative", 0, f'{SETUPS[0]} asked about the tide tables, and unsure I admitted "')
    assert s.save().reopen is None                                  # one pair-like line: unmatched
