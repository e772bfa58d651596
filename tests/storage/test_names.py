"""Names: one normalisation for every write and lookup; invisible characters refused."""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from faceapp.storage import gallery
from faceapp.storage.gallery import GalleryStore, clean_name, normalise_name

JOSE_NFD = unicodedata.normalize("NFD", "José")


@pytest.fixture
def store(tmp_path: Path) -> GalleryStore:
    return GalleryStore(tmp_path / "g.db")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" ben_afflek ", "ben_afflek"),
        ("\tAnn\u3000", "Ann"),  # outer whitespace of any kind
        (JOSE_NFD, "José"),
        ("Zoë Ångström", "Zoë Ångström"),
        ("王菲", "王菲"),
        ("O'Brien; DROP TABLE people;--", "O'Brien; DROP TABLE people;--"),
        ("<b>Boss</b>", "<b>Boss</b>"),  # markup is the GUI's to show as plain text
    ],
)
def test_normalise_name_accepts(typed: str, stored: str) -> None:
    assert normalise_name(typed) == stored
    assert normalise_name(stored) == stored


@pytest.mark.parametrize(
    ("name", "why", "code"),
    [
        ("Eve\u202egnp.exe", "text-direction control", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Eve\u2066x\u2069", "text-direction control", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("Ann\u200fB", "text-direction control", "U+200F RIGHT-TO-LEFT MARK"),
        ("ben_afflek\u200b", "invisible formatting", "U+200B ZERO WIDTH SPACE"),
        ("\ufeffAnn", "invisible formatting", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("An\u00adn", "invisible formatting", "U+00AD SOFT HYPHEN"),
        ("Ann\u2060", "invisible formatting", "U+2060 WORD JOINER"),
        ("a\nb", "control character", "U+000A at position 2"),
        ("a\x1bb", "control character", "U+001B"),
        ("a\u2028b", "line or paragraph separator", "U+2028 LINE SEPARATOR"),
        ("a\udc80b", "undecodable", "U+DC80"),
    ],
)
def test_normalise_name_refuses_hidden_characters(name: str, why: str, code: str) -> None:
    with pytest.raises(ValueError) as info:
        normalise_name(name)
    message = str(info.value)
    assert why in message and code in message and "\n" not in message


@pytest.mark.parametrize("bad", ["", "  \u3000 ", "x" * 101])
def test_normalise_name_refuses_empty_and_long(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_name(bad)


def test_clean_name_is_the_same_function() -> None:
    assert clean_name is normalise_name


def test_every_write_refuses_hidden_characters(store: GalleryStore) -> None:
    store.add_person("Ann")
    rev = store.revision()
    for bad in ("Eve\u202egnp.exe", "ben_afflek\u200b"):
        with pytest.raises(ValueError, match="must not contain"):
            store.add_person(bad)
        with pytest.raises(ValueError, match="must not contain"):
            store.get_or_create_person(bad)
        with pytest.raises(ValueError, match="must not contain"):
            store.add_samples(bad, [(np.ones(8), None, None)])
        with pytest.raises(ValueError, match="must not contain"):
            store.rename("Ann", bad)
    assert [p.name for p in store.people()] == ["Ann"] and store.revision() == rev


def test_every_lookup_uses_the_same_normalisation(store: GalleryStore) -> None:
    store.add_samples(JOSE_NFD, [(np.ones(8), None, None)])
    store.add_person(" ben_afflek ")
    assert [p.name for p in store.people()] == ["ben_afflek", "José"]
    jose = store.find_person("José")
    assert jose is not None and jose == store.find_person(f" {JOSE_NFD}\t")
    assert len(store.samples(JOSE_NFD)) == 1 and store.thumbnail(" José ") is None
    assert "José" in store.index().names
    assert store.find_person("ben_afflek\u200b") is None  # looks the same, is not the same
    assert store.rename(" ben_afflek", JOSE_NFD + "2").name == "José2"
    assert store.remove_person(f"{JOSE_NFD}2 ").name == "José2"
    assert store.remove_person("José ").name == "José"
    assert store.people() == []


def test_a_name_stored_before_the_rules_can_still_be_renamed(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    store = GalleryStore(path)
    store.add_person("placeholder")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE people SET name = ?", ("Eve\u202egnp.exe",))
    conn.commit()
    conn.close()
    assert store.find_person("Eve\u202egnp.exe") is not None
    assert store.rename("Eve\u202egnp.exe", "Eve").name == "Eve"


def test_the_store_module_uses_one_normalisation() -> None:
    """No other NFC or strip of names in the store: lookups and writes share the key."""
    package = Path(gallery.__file__).parent
    sources = [f.read_text(encoding="utf-8") for f in package.glob("*.py")]
    assert sum(s.count('unicodedata.normalize("NFC"') for s in sources) == 1
