"""The self-checking exercises: every check with its solution, its placeholder and its wrong answers.

And the chapters: each has at least three checked exercises, shows each one's
placeholder cell with its committed "not attempted yet" output, and prints the
same solution code in its collapsed solution block as ``ex[N].solution()`` gives.
"""

import importlib
import json
import re

import pytest
import torch

from nbcode import exercises
from nbcode.book import chapter_paths
from nbcode.exercises import CORRECT, NOT_ATTEMPTED, NOT_QUITE, ___

CHAPTERS = {int(path.name[:2]): path for path in chapter_paths()}


def _module(chapter):
    return importlib.import_module(f"nbcode.exercises.chapter{chapter:02d}")


def _all_exercises():
    found = []
    for chapter in CHAPTERS:
        try:
            module = _module(chapter)
        except ModuleNotFoundError:
            continue
        found += [pytest.param(module, exercise, id=f"{chapter}.{exercise.number}") for exercise in module.EXERCISES]
    return found


def _answers(module, exercise, code):
    namespace = {"___": ___}
    exec(module.SETUP + code, namespace)  # noqa: S102 - the exercise's own code, from this repository
    return [namespace[name] for name in exercise.names]


@pytest.mark.parametrize("module, exercise", _all_exercises())
def test_solution_is_correct(module, exercise):
    torch.manual_seed(0)
    verdict = exercise.check(*_answers(module, exercise, exercise.solution_code))
    assert verdict.status == CORRECT, verdict


@pytest.mark.parametrize("module, exercise", _all_exercises())
def test_placeholder_is_not_attempted(module, exercise):
    verdict = exercise.check(*_answers(module, exercise, exercise.placeholder))
    assert verdict.status == NOT_ATTEMPTED, verdict
    assert "___" in exercise.placeholder


@pytest.mark.parametrize("module, exercise", _all_exercises())
def test_typical_mistakes_are_named(module, exercise):
    assert exercise.wrong, f"{exercise.label} needs at least one typical wrong answer to test"
    for code, fragment in exercise.wrong:
        verdict = exercise.check(*_answers(module, exercise, code))
        assert verdict.status == NOT_QUITE, (code, verdict)
        assert fragment in verdict.message, (code, verdict)


@pytest.mark.parametrize("module, exercise", _all_exercises())
def test_hints_and_solution_are_offered(module, exercise):
    assert len(exercise.hints) >= 1
    assert exercise.hint(1).startswith(f"Hint 1 of {len(exercise.hints)}")
    assert exercise.solution_code.strip() in exercise.solution()
    with pytest.raises(ValueError, match=f"hints 1 to {len(exercise.hints)}"):
        exercise.hint(len(exercise.hints) + 1)


def _cells(path):
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_chapter_has_three_checked_exercises_shown_untouched(chapter):
    path = CHAPTERS[chapter]
    checked = exercises.for_chapter(chapter)
    assert len(checked) >= 3, f"chapter {chapter} has {len(checked)} checked exercises; it needs at least 3"
    cells = _cells(path)
    code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    markdown = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    assert f"ex = for_chapter({chapter})" in "\n".join(code)
    for number, exercise in checked.items():
        call = re.compile(rf"^ex\[{number}\]\.check\(.*\)$", re.MULTILINE)
        [cell] = [cell for cell in cells if cell["cell_type"] == "code" and call.search("".join(cell["source"]))]
        source = "".join(cell["source"])
        assert exercise.placeholder.strip() in source, f"cell of {exercise.label} lost its placeholder"
        shown = "".join("".join(output.get("data", {}).get("text/plain", "")) for output in cell["outputs"])
        assert shown.startswith(f"{exercise.label}: {NOT_ATTEMPTED}."), shown
        assert exercise.solution_code.strip() in markdown, f"the book's solution of {exercise.label} is not its checked one"


def test_for_chapter_says_which_chapters_exist():
    with pytest.raises(ValueError, match="chapters are numbered 1 to 12"):
        exercises.for_chapter(13)


def test_check_counts_its_answers():
    exercise = exercises.for_chapter(1)[1]
    verdict = exercise.check(1, 2)
    assert verdict.status == NOT_QUITE and "takes 1 answer" in verdict.message


def test_building_blocks_name_the_mistake():
    with pytest.raises(exercises.NotQuite, match=r"shape \(3, 2\); the expected shape is \(2, 3\) \(transposed\?\)"):
        exercises.tensor(torch.zeros(3, 2), torch.zeros(2, 3))
    with pytest.raises(exercises.NotQuite, match="twice the right value"):
        exercises.tensor(torch.tensor([2.0, 4.0]), torch.tensor([1.0, 2.0]))
    with pytest.raises(exercises.NotQuite, match="check the sign"):
        exercises.number(-0.25, 0.25)
    with pytest.raises(exercises.NotQuite, match="inf or nan"):
        exercises.tensor(torch.tensor([float("inf")]), torch.tensor([1.0]))
    exercises.number(0.3775, 0.37754, rel=1e-3)  # within tolerance counts
    with pytest.raises(exercises.NotQuite, match="returned None .* `return` missing"):
        exercises.function(lambda x: None, lambda x: x, [("x = 1", (torch.ones(1),))])
