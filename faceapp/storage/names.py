"""Names of enrolled people: the one normalisation the store, the command line and the GUI share."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from typing import Any

import regex

#: Longest display name accepted, in Unicode code points (after stripping).
MAX_NAME_LENGTH = 100

#: Arabic letter mark, LRM/RLM, the embeddings and overrides, and the isolates.
_DIRECTION_CONTROLS = frozenset(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)

_ZWNJ, _ZWJ = "\u200c", "\u200d"

#: One grapheme cluster that is a whole emoji (UTS #51): a flag of two regional
#: indicators, a keycap, or pictographs (each with an optional presentation selector,
#: skin tone and tag sequence) joined by zero-width joiners.
_EMOJI = regex.compile(
    r"""
    \p{Regional_Indicator}{2}
  | [0-9\#*]\uFE0F?\u20E3
  | (?&pic)(?:\u200D(?&pic))*
    (?(DEFINE)(?P<pic>
        \p{Extended_Pictographic}[\uFE0E\uFE0F]?\p{Emoji_Modifier}?\uFE0F?
        (?:[\U000E0020-\U000E007E]+\U000E007F)?
    ))
    """,
    regex.VERBOSE | regex.V1,
)

#: A letter or digit cluster: a letter or number, then marks or letters (Hangul jamo),
#: none of them default-ignorable but the joiners (whose places :data:`_JOINER_ALLOWED`
#: checks).
_WORD = regex.compile(
    r"[\p{L}\p{N}](?:[[\p{M}\p{L}]--\p{Default_Ignorable_Code_Point}]|[\u200C\u200D])*", regex.V1
)

#: Where UTS #31 allows the joiners outside emoji: a zero-width non-joiner between a
#: letter joining on its left and one joining on its right (Arabic, Persian; transparent
#: marks between) (A1); either joiner after a virama, in Indic scripts (A2, B).
_JOINER_ALLOWED = regex.compile(
    r"(?<=[\p{Joining_Type=D}\p{Joining_Type=L}]\p{Joining_Type=T}*)\u200C"
    r"(?=\p{Joining_Type=T}*[\p{Joining_Type=D}\p{Joining_Type=R}])"
    r"|(?<=\p{L}\p{M}*\p{Canonical_Combining_Class=9}\p{M}*)[\u200C\u200D]",
    regex.V1,
)

_DEFAULT_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}")
_SPACE = regex.compile(r"[\p{White_Space}\p{Zs}]")
_BRAILLE = regex.compile(r"\p{Script=Braille}")


def name_key(name: str) -> str:
    """Return the form a name is stored and looked up in: Unicode NFC, outer whitespace off."""
    return unicodedata.normalize("NFC", name).strip()


def name_problem(char: str) -> str | None:
    """Say why ``char`` may not appear in a name wherever it stands, or return None.

    Characters refused here are refused in any context; :func:`normalise_name` also
    refuses characters allowed here that stand where they may not (a joiner outside an
    emoji sequence, a mark with no letter, two spaces in a row).
    """
    category = unicodedata.category(char)
    if ord(char) in _DIRECTION_CONTROLS:
        return "a text-direction control"
    if category == "Cc":
        return "a control character"
    if category == "Cs":
        return "an undecodable character (check the terminal's text encoding)"
    if category in ("Zl", "Zp"):
        return "a line or paragraph separator"
    if char != " " and _SPACE.match(char):
        return "a space other than the ordinary space (U+0020)"
    if char in (_ZWNJ, _ZWJ):
        return None  # allowed in some places: normalise_name checks where
    if category == "Cf":
        return "an invisible formatting character"
    if _DEFAULT_IGNORABLE.match(char):
        return "an invisible character"
    if category in ("Co", "Cn"):
        return "a private-use or unassigned character"
    if _BRAILLE.match(char):
        return "a Braille pattern (U+2800 shows as nothing)"
    return None


def _cluster_problem(
    cluster: str, text: str, start: int, joiners_ok: set[int]
) -> tuple[int, str] | None:
    """Say what is wrong with one grapheme cluster of ``text`` beginning at ``start``.

    Returns ``(offset of the offending character in the cluster, problem)`` or None.
    """
    if _EMOJI.fullmatch(cluster):
        return None
    for offset, char in enumerate(cluster):
        problem = name_problem(char)
        if problem is not None:
            return offset, problem
        if char == _ZWJ and start + offset not in joiners_ok:
            return offset, "a zero-width joiner outside an emoji sequence (or after a virama)"
        if char == _ZWNJ and start + offset not in joiners_ok:
            return offset, (
                "a zero-width non-joiner that separates nothing (it may only stand between"
                " two letters that would join, as in Persian, or after a virama)"
            )
    first = unicodedata.category(cluster[0])
    if first.startswith("M"):
        return 0, "a combining mark with no letter to carry it"
    if first[0] in "LN":
        if _WORD.fullmatch(cluster):
            return None
        offset = next(
            (k for k, c in enumerate(cluster[1:], 1) if unicodedata.category(c)[0] not in "ML"),
            len(cluster) - 1,
        )
        return offset, "a character that cannot be part of a letter"
    if len(cluster) > 1:  # a space, punctuation or a symbol carrying a mark
        return 1, "a combining mark with no letter to carry it"
    if cluster == " " and start > 0 and text[start - 1] == " ":
        return 0, "two spaces in a row"
    return None


def normalise_name(name: str) -> str:
    """Return ``name`` as faceapp stores, looks up and shows it, or say why it is refused.

    The name is put in Unicode NFC (so a decomposed "José" and a composed one are the
    same name) and surrounding whitespace is stripped.  Then it is read as the user
    perceives it, one grapheme cluster (Unicode UAX #29, as the :mod:`regex` module
    splits text) at a time, with Unicode's own character properties deciding:

    - a **letter or digit** may carry combining marks (accents, vowel signs); a mark
      with no letter before it (at the start, on a space or punctuation) is refused;
    - an **emoji** is accepted as a whole sequence (UTS #51: flags, keycaps, skin tones,
      zero-width-joiner sequences such as woman technologist, family, rainbow flag);
    - the **zero-width joiner** only inside such an emoji or after a virama, the
      **zero-width non-joiner** only where UTS #31 allows it (between two letters that
      would join, as in the Persian name Alireza written with U+200C, or after a
      virama);
    - the only space is U+0020, never two in a row (no-break, em, ideographic spaces
      are refused inside a name);
    - refused anywhere: control characters, text-direction controls, every other
      invisible character (Unicode's Default_Ignorable_Code_Point: zero-width spaces,
      the Hangul fillers U+3164 and U+115F, the combining grapheme joiner U+034F, a
      variation selector such as U+FE0F outside an emoji, soft hyphens, ...), line and
      paragraph separators, private-use and unassigned code points, Braille patterns
      (U+2800 is blank), and unpaired surrogates;
    - visible punctuation and symbols (``'``, ``-``, ``.``, ``(2)``, ``&``, ...) are
      accepted: the GUI shows names as plain text and every output escapes them.

    Every name the store writes goes through this function, and every name it looks up
    through the same normalisation, so the command line and the GUI agree on what a
    name is.  Names that merely look like an enrolled one are refused where people are
    added (:func:`lookalike_problem`).

    Parameters
    ----------
    name : str
        The name as typed.

    Returns
    -------
    str
        The normalised name.

    Raises
    ------
    TypeError
        When ``name`` is not a string.
    ValueError
        With a one-line message naming the offending character (code point, Unicode
        name, position) when the name is refused.
    """
    if not isinstance(name, str):
        raise TypeError(f"a name must be a str, not {type(name).__name__}")
    clean = name_key(name)
    if not clean:
        raise ValueError("a name must not be empty")
    joiners_ok = {m.start() for m in _JOINER_ALLOWED.finditer(clean)}
    for match in regex.finditer(r"\X", clean):
        found = _cluster_problem(match.group(), clean, match.start(), joiners_ok)
        if found is not None:
            offset, problem = found
            at = match.start() + offset
            char = clean[at]
            label = " ".join(f"U+{ord(char):04X} {unicodedata.name(char, '')}".split())
            raise ValueError(f"a name must not contain {problem} ({label} at position {at + 1})")
    if len(clean) > MAX_NAME_LENGTH:
        raise ValueError(f"a name must be at most {MAX_NAME_LENGTH} characters long")
    return clean


@functools.lru_cache(maxsize=1)
def _spoof_checker() -> Any:
    import icu  # PyICU (the pyicu-wheels build): imported on first use, it loads ICU's data

    return icu.SpoofChecker()


@functools.lru_cache(maxsize=1 << 17)
def lookalike_key(name: str) -> str:
    """Return the UTS #39 confusable skeleton of ``name``: equal for names that look alike.

    ICU's ``SpoofChecker.getSkeleton`` maps every character to the prototype it can be
    confused with (Cyrillic "Т" and Latin "T", "I" and "l", full-width "Ｔ" and "T", ...)
    after NFD; two names with the same skeleton cannot be told apart by eye.  Results
    are cached (names repeat: every addition compares with everyone enrolled).
    """
    return str(_spoof_checker().getSkeleton(0, unicodedata.normalize("NFKC", name)))


def lookalike_problem(name: str, enrolled: Iterable[str]) -> str | None:
    """Say which enrolled person ``name`` would look like, or return None.

    Parameters
    ----------
    name : str
        A normalised name about to be added (or given by a rename).
    enrolled : iterable of str
        The names already in the gallery, without the person being renamed.

    Returns
    -------
    str or None
        A one-line message naming the enrolled person whose name looks the same
        (same :func:`lookalike_key`) but is written with other characters.
    """
    key = lookalike_key(name)
    for other in enrolled:
        if other != name and lookalike_key(other) == key:
            return (
                f"{name!r} looks the same as {other!r}, who is already enrolled, but is"
                " written with other characters; use that person, or a name that reads"
                " differently"
            )
    return None


#: The former name of ``normalise_name``, kept for the callers that still use it.
clean_name = normalise_name
