"""Names of enrolled people: the one normalisation the store, the command line and the GUI share."""

from __future__ import annotations

import unicodedata

#: Longest display name accepted, in Unicode code points (after stripping).
MAX_NAME_LENGTH = 100

#: Arabic letter mark, LRM/RLM, the embeddings and overrides, and the isolates.
_DIRECTION_CONTROLS = frozenset(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def name_key(name: str) -> str:
    """Return the form a name is stored and looked up in: Unicode NFC, outer whitespace off."""
    return unicodedata.normalize("NFC", name).strip()


def name_problem(char: str) -> str | None:
    """Say why ``char`` may not appear in a name, or return None when it may."""
    category = unicodedata.category(char)
    if ord(char) in _DIRECTION_CONTROLS:
        return "a text-direction control"
    if category == "Cc":
        return "a control character"
    if category == "Cf":
        return "an invisible formatting character"
    if category == "Cs":
        return "an undecodable character (check the terminal's text encoding)"
    if category in ("Zl", "Zp"):
        return "a line or paragraph separator"
    return None


def normalise_name(name: str) -> str:
    """Return ``name`` as faceapp stores, looks up and shows it, or say why it is refused.

    The name is put in Unicode NFC (so a decomposed "José" and a composed one are the
    same name) and surrounding whitespace is stripped.  Refused are names that are
    empty, longer than ``MAX_NAME_LENGTH`` code points, or hold a character a reader
    cannot see or that changes how the text around it is shown: control characters,
    text-direction controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
    U+2069), zero-width and other invisible formatting characters (Unicode category
    Cf, which includes the zero-width joiners some scripts and emoji sequences use),
    line and paragraph separators, and unpaired surrogates.  Every name the store
    writes goes through this function, and every name it looks up through the same
    normalisation, so the command line and the GUI agree on what a name is.

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
    for position, char in enumerate(clean, start=1):
        problem = name_problem(char)
        if problem is not None:
            label = " ".join(f"U+{ord(char):04X} {unicodedata.name(char, '')}".split())
            raise ValueError(f"a name must not contain {problem} ({label} at position {position})")
    if len(clean) > MAX_NAME_LENGTH:
        raise ValueError(f"a name must be at most {MAX_NAME_LENGTH} characters long")
    return clean


#: The former name of ``normalise_name``, kept for the callers that still use it.
clean_name = normalise_name
