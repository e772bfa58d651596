"""csv_cell: no cell a spreadsheet would run as a formula, whatever form its first character takes
(issue 17: a full-width ＝ and invisible or white-space lead characters got through)."""

from __future__ import annotations

import csv
import io

import pytest

from faceapp.storage.history import csv_cell


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://x","y")',
        "+SUM(A1)",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\tplain",
        "\uff1dSUM(A1)",  # full-width equals
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM",
        "\ufe66SUM(A1)",  # small equals sign
        "\u207c1",  # superscript equals
        "\u208a1",  # subscript plus
        "\ufe62SUM",  # small plus
        "\ufe63x",  # small hyphen-minus
        "\ufe6bSUM",  # small commercial at
        " =1",
        "   +1",
        "\u00a0=1",  # no-break space
        "\u3000\uff1d1",  # ideographic space, full-width equals
        "\u2003@x",  # em space
        "\n=1",
        "\u2028=1",  # line separator
        "\u200b=1",  # zero-width space
        "\ufeff=1",  # byte order mark
        "\u2060=1",  # word joiner
        "\u200e=1",  # left-to-right mark
        "\u202e=1",  # right-to-left override
        " \u200b \uff1d1",
    ],
)
def test_formula_starts_in_any_form_get_an_apostrophe(text: str) -> None:
    cell = csv_cell(text)
    assert cell == "'" + text


@pytest.mark.parametrize(
    "text",
    [
        "Madonna",
        "Ada Lovelace",
        "photos/=x.jpg",
        "a+b",
        "Jos\u00e9",
        "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627",  # Persian, a zero-width non-joiner inside
        "\U0001f469\u200d\U0001f4bb",  # woman technologist
        "",
        "   ",
        "\u2212x",  # the minus sign: no spreadsheet takes it for a formula
    ],
)
def test_other_text_is_left_as_it_is(text: str) -> None:
    assert csv_cell(text) == text


def test_none_is_an_empty_cell_and_the_apostrophe_survives_the_csv_round_trip() -> None:
    assert csv_cell(None) == ""
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell("\uff1dcmd"), csv_cell(" @x")])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'\uff1dcmd", "' @x"]
