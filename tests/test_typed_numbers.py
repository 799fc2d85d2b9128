"""No measured number is typed into a chapter's prose: it is glued from a cell or a study.

The check is a floor, not the rule. It reads every markdown cell with glue
roles, inline code, math and code blocks removed, and fails on a decimal with
three or more significant digits or a percentage with a decimal point, unless
tests/quoted_numbers.toml lists that number for that chapter with the cited
source it comes from. A measured number rounded to two digits, or moved into
math, still has to come from a cell or a study; the test cannot see that.
"""

import re
import tomllib

import nbformat
import pytest

from booktools.book import ROOT, chapter_paths

QUOTED_FILE = ROOT / "tests" / "quoted_numbers.toml"
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
CODE_BLOCK = re.compile(r"^(`{3,}|~{3,}).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
# A decimal not glued to a word or a further number ("v1.2.3", "x.5" are not numbers here).
DECIMAL = re.compile(r"(?<![\w.])(\d[\d,]*\.\d+)(\s*%)?(?![\w.]*\d)")


def significant_digits(number):
    return len(number.replace(",", "").replace(".", "").lstrip("0"))


def typed_numbers(markdown):
    """The decimals in ``markdown`` that need a glue role or a citation, as the prose writes them."""
    prose = CODE_BLOCK.sub(" ", markdown)
    for pattern in (GLUE_ROLE, INLINE_CODE, MATH):
        prose = pattern.sub(" ", prose)
    return [match.group(1) + ("%" if match.group(2) else "")
            for match in DECIMAL.finditer(prose)
            if match.group(2) or significant_digits(match.group(1)) >= 3]


def quoted_numbers():
    entries = tomllib.loads(QUOTED_FILE.read_text())["quoted"]
    for entry in entries:
        assert entry.keys() == {"chapter", "number", "source"} and entry["source"].strip(), entry
    return entries


CHAPTERS = chapter_paths()


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_prose_types_no_measured_number(path):
    allowed = {entry["number"] for entry in quoted_numbers() if entry["chapter"] == path.stem}
    notebook = nbformat.read(path, as_version=4)
    typed = [(index, number) for index, cell in enumerate(notebook.cells) if cell.cell_type == "markdown"
             for number in typed_numbers(cell.source) if number not in allowed]
    assert not typed, (
        f"{path.name} types measured numbers into its prose (cell index, number): {typed}. Glue each from "
        "the cell or study that computes it, or, for a figure quoted from a cited source, list it with its "
        f"source in {QUOTED_FILE.relative_to(ROOT)}")


def test_the_allowlist_is_short_and_every_entry_is_still_quoted():
    entries = quoted_numbers()
    assert len(entries) < 15, "the allowlist is for a few cited figures, not for measured numbers"
    for entry in entries:
        path = ROOT / "chapters" / f"{entry['chapter']}.ipynb"
        markdown = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells
                             if cell.cell_type == "markdown")
        assert entry["number"] in typed_numbers(markdown), f"{entry} is no longer in the chapter's prose: remove it"


@pytest.mark.parametrize("markdown, expected", [
    ("accuracy 0.8666 with seed 0", ["0.8666"]),
    ("a spread of 2.3 points, 5.8% of tokens", ["5.8%"]),
    ("reached {glue:text}`acc:.4f`, about 0.5 and 1e-5", []),
    ("inline `0.9131` and math $0.954$ and $$\\log 10 \\approx 2.303$$", []),
    ("```python\nx = 0.3775\n```\nthen 1,234.5 and 0.0090", ["1,234.5"]),
    ("version v1.2.3 and 16,897,252 parameters", []),
    ("| test MSE | 0.0090–0.0092 | 0.8191 |", ["0.8191"]),
])
def test_typed_numbers_finds_measured_decimals_only(markdown, expected):
    assert typed_numbers(markdown) == expected
