"""Text identity: normalisation folds only what does not change affect, and the hash follows it."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pytest

from schemas.text import normalise_text, text_sha256


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("hello", "hello"),
        ("  hello world \n", "hello world"),
        ("a\t\tb\r\nc", "a b c"),
        ("a\u00a0\u2003b", "a b"),  # Unicode spaces collapse too
        ("cafe\u0301", "caf\u00e9"),  # NFD -> NFC
        ("I'm FINE!!!", "I'm FINE!!!"),  # case and punctuation kept
        ("so happy 😀😀", "so happy 😀😀"),
    ],
)
def test_normalise_text_table(raw: str, normalised: str) -> None:
    assert normalise_text(raw) == normalised


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hello world", "  hello \n world  "),
        ("caf\u00e9", "cafe\u0301"),
    ],
)
def test_texts_that_normalise_alike_share_a_hash(a: str, b: str) -> None:
    assert text_sha256(a) == text_sha256(b)


@pytest.mark.parametrize(("a", "b"), [("I'm FINE", "i'm fine"), ("great!", "great"), ("ok 😀", "ok")])
def test_texts_that_differ_in_affect_relevant_ways_hash_differently(a: str, b: str) -> None:
    assert text_sha256(a) != text_sha256(b)


def test_text_sha256_is_the_hex_sha256_of_the_normalised_utf8_text() -> None:
    text = "  Ünïcödé \t text "
    expected = hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
    assert text_sha256(text) == expected
    assert len(expected) == 64


def test_whitespace_is_every_character_that_the_regex_backslash_s_matches() -> None:
    # Cache keys hash the normalised text: splitting on str whitespace must fold exactly the runs that
    # `re`'s \s folds (the earlier definition), for every code point, or every cached entry would go stale.
    ws = re.compile(r"\s+")
    for code in range(0x110000):
        c = chr(code)
        raw = f"a{c}b {c}{c} c{c}"
        assert normalise_text(raw) == ws.sub(" ", unicodedata.normalize("NFC", raw)).strip(), hex(code)
