"""The self-checking exercises: every check with its solution, its placeholder and its wrong answers.

And with near misses, the solution nudged just outside the tolerance its check
declares, which must be "not quite": the typical wrong answers are far from the
right ones, and would still be told so if a tolerance were loosened tenfold.

And the chapters: each has at least three checked exercises, shows each one's
placeholder cell with its committed "not attempted yet" output, and prints the
same solution code in its collapsed solution block as ``ex[N].solution()`` gives.
"""

import copy
import functools
import importlib
import inspect
import json
import numbers
import re

import pytest
import torch
from torch import nn

from nbcode import exercises
from booktools.book import chapter_paths
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


# The relative tolerance with which each exercise's check compares floating values, as its chapter module declares
# it (or the framework's default that it relies on); None where every answer is whole numbers, shapes or booleans,
# compared exactly. Written out here, not read from the checks, so that a loosened tolerance fails the near misses.
TOLERANCES = {
    "1.1": 1e-3, "1.4": None, "1.5": 1e-4,
    "2.1": None, "2.3": 1e-4, "2.4": 1e-4, "2.5": None,
    "3.1": 1e-4, "3.3": 1e-5, "3.5": 2e-3,
    "4.1": 1e-6, "4.5": 1e-6, "4.6": 1e-3,
    "5.1": 1e-4, "5.2": 1e-4, "5.3": 1e-4,
    "6.1": None, "6.3": None, "6.4": 1e-4,
    "7.1": None, "7.2": None, "7.3": None, "7.4": None, "7.5": 1e-4,
    "8.3": None, "8.4": None, "8.5": 1e-3,
    "9.5": 1e-4, "9.6": 1e-4, "9.7": 1e-4, "9.8": 3e-3,
    "10.4": 1e-4, "10.6": None, "10.7": 1e-4, "10.8": None,
    "11.4": 1e-5, "11.5": 1e-4, "11.6": 1e-5, "11.7": 1e-5,
    "12.1": 5e-2, "12.3": 1e-6, "12.4": 1e-3, "12.5": None,
}
# How far a near miss is from the right value, in tolerances: outside the tolerance and inside it loosened tenfold.
# Below the right value: the mistakes that a check names close to it lie above it (chapter 9's bias for 50 steps,
# 0.7% above, chapter 5's rate from the Hessian's diagonal, 0.04% above for inputs of mean 50).
NEAR_MISS = 2
# An update rule runs for several steps, each from the state that the last one returned, so a nudge in every step
# grows over the steps, to ten times its size and more by the last one: its nudge per step is smaller.
NEAR_MISS_PER_STEP = {"5.2": 0.4, "5.3": 0.4}


class _Nudge:
    """Answers nudged just outside a tolerance, counting the values changed: a near miss that changes none proves
    nothing (a boolean mask has no near value, a network on the meta device no values at all)."""

    def __init__(self, label, tolerance):
        self.label, self.tolerance, self.changed = label, tolerance, 0

    def _counted(self, value):
        self.changed += 1
        return value

    def _factor(self):
        assert self.tolerance is not None, f"{self.label} has floating values: declare its tolerance in TOLERANCES"
        return 1 - NEAR_MISS_PER_STEP.get(self.label, NEAR_MISS) * self.tolerance

    def values(self, answer):
        """Floating values times 1 - NEAR_MISS tolerances, whole numbers plus one: in an answer, in a network's output,
        in a function's results (or, where it returns None, in what it changed in place, its first argument)."""
        if isinstance(answer, bool) or answer is None:
            return answer
        if isinstance(answer, numbers.Integral):
            return self._counted(answer + 1)
        if isinstance(answer, numbers.Real):
            return self._counted(answer * self._factor())
        if torch.is_tensor(answer):
            if answer.dtype == torch.bool or answer.is_meta:
                return answer
            return self._counted(answer * self._factor() if answer.is_floating_point() else answer + 1)
        if isinstance(answer, nn.Module):
            if any(tensor.is_meta for tensor in answer.state_dict().values()):
                return answer
            nudged = copy.deepcopy(answer)  # its weights stay right: a check may copy them into its reference
            nudged.register_forward_hook(lambda module, inputs, output: self.values(output))
            return nudged
        if isinstance(answer, (tuple, list)):
            return type(answer)(self.values(value) for value in answer)
        if isinstance(answer, dict):
            return {key: self.values(value) for key, value in answer.items()}
        if inspect.isfunction(answer):
            return self._function(answer, self.values, in_place=True)
        return answer

    def shape(self, function):
        """``function`` with one more dimension, of size 1, on the tensors it returns: its values, in a shape that only
        the shape check rejects (they would broadcast against the right ones)."""
        return self._function(function, self._reshaped, in_place=False)

    def _reshaped(self, result):
        if torch.is_tensor(result):
            return self._counted(result.unsqueeze(0))
        if isinstance(result, (tuple, list)):
            return type(result)(self._reshaped(value) for value in result)
        if isinstance(result, dict):
            return {key: self._reshaped(value) for key, value in result.items()}
        return result

    def _function(self, function, nudge, in_place):
        @functools.wraps(function)
        def nudged(*arguments):
            result = function(*arguments)
            if result is None and in_place:
                changed = arguments[0].state_dict().values() if isinstance(arguments[0], nn.Module) else arguments[:1]
                with torch.no_grad():
                    for tensor in changed:
                        tensor.copy_(nudge(tensor))
            return nudge(result)

        return nudged


def _label(exercise):
    return f"{exercise.chapter}.{exercise.number}"


def test_every_exercise_declares_its_tolerance():
    assert set(TOLERANCES) == {_label(parameter.values[1]) for parameter in _all_exercises()}


@pytest.mark.parametrize("module, exercise", _all_exercises())
def test_near_misses_are_not_quite(module, exercise):
    label = _label(exercise)
    solution = _answers(module, exercise, exercise.solution_code)
    tried = 0
    for index, name in enumerate(exercise.names):
        for kind in ("values", "shape") if inspect.isfunction(solution[index]) else ("values",):
            nudge = _Nudge(label, TOLERANCES[label])
            answers = list(solution)
            answers[index] = getattr(nudge, kind)(solution[index])
            if answers[index] is solution[index]:  # nothing in it to nudge
                continue
            torch.manual_seed(0)
            verdict = exercise.check(*answers)
            if nudge.changed:
                tried += 1
                assert verdict.status == NOT_QUITE, (f"{name} nudged in its {kind}", verdict)
    assert tried, f"{label}: no answer has a value or a shape to nudge"


@pytest.mark.parametrize("module, exercise", _all_exercises())
def test_hints_and_solution_are_offered(module, exercise):
    assert len(exercise.hints) >= 1
    assert exercise.hint(1).startswith(f"Hint 1 of {len(exercise.hints)}")
    assert exercise.solution_code.strip() in exercise.solution()
    for out_of_range in (0, len(exercise.hints) + 1, "2"):  # answered in one line, never a traceback
        assert f"has hints 1 to {len(exercise.hints)}" in exercise.hint(out_of_range)


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


def test_a_gradient_wrong_only_for_a_batch_that_lacks_a_class_is_not_quite():
    # The check's typical mistake of too few one-hot columns cannot be computed for such a batch; it must be
    # skipped there, not raise at the reader.
    chapter04 = importlib.import_module("nbcode.exercises.chapter04")

    def gradients2(p, X, labels):
        right = chapter04._reference_gradients2(p, X, labels)
        # (a batch of one broadcasts against the short one-hot rows and raises nothing)
        lacks_the_last_class = len(labels) > 1 and int(labels.max()) + 1 < p["W2"].shape[0]
        return {key: value * 1.01 for key, value in right.items()} if lacks_the_last_class else right

    verdict = exercises.for_chapter(4)[1].check(gradients2)
    assert verdict.status == NOT_QUITE and "differs from the right values" in verdict.message, verdict


def test_a_rate_just_off_is_not_blamed_on_a_mistake_that_lies_as_close_to_the_right_one():
    chapter05 = importlib.import_module("nbcode.exercises.chapter05")

    def critical_learning_rate(x):
        right = 2 / torch.linalg.eigvalsh(chapter05._line_hessian(x))[-1].item()
        return right * (1.0003 if len(x) == 20 else 1.0)  # 20 inputs of mean 50: the diagonal's rate is 0.04% above

    verdict = exercises.for_chapter(5)[1].check(critical_learning_rate)
    assert verdict.status == NOT_QUITE and "diagonal" not in verdict.message, verdict



def test_feedback_never_ends_in_a_traceback():
    chapter3 = exercises.for_chapter(3)
    text = chapter3[5].check("2.3026")  # a number in quotes
    assert text.status == NOT_QUITE and "the text '2.3026': remove the quotes" in text.message
    assert "truth value" in exercises.for_chapter(1)[1].check(True).message
    assert chapter3[5].check(2 * ___ + 1).status == NOT_ATTEMPTED  # an expression still holding the placeholder
    with pytest.raises(TypeError, match="___ is the placeholder: replace it"):
        float(___)
    unchecked = exercises.for_chapter(1)[2]  # an open question: no check
    for answer in (unchecked.check(0.5).message, unchecked.hint(), unchecked.solution()):
        assert "Exercise 1.2 has no check" in answer and "checked exercises of chapter 1 are 1, 4, 5" in answer


def test_tensor_names_the_type_the_dtype_and_the_wrong_entries():
    right = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    for answer, message in ((right.tolist(), "it is a list"), ("[[1, 2]]", "it is the text"),
                            (right.bool(), "has dtype torch.bool; the right answer's is torch.float32"),
                            (torch.tensor([[1.0, 2.0], [3.5, 4.0]]), "in 1 of its 4 entries (at (1, 0): 3.5 instead of 3)")):
        with pytest.raises(exercises.NotQuite, match=re.escape(message)):
            exercises.tensor(answer, right)
    exercises.tensor(2.0, torch.tensor(2.0))  # one number may be a Python number



def test_a_list_where_a_tuple_is_asked_is_named_as_such():
    def momentum_step(theta, velocity, gradient, lr, momentum):
        velocity = momentum * velocity + gradient
        return [theta - lr * velocity, velocity]

    assert "returned a list" in exercises.for_chapter(5)[3].check(momentum_step).message

    def error_counts(probabilities, labels, threshold):
        malignant = probabilities >= threshold
        return [int((~malignant & (labels == 1)).sum()), int((malignant & (labels == 0)).sum())]

    assert "returned a list" in exercises.for_chapter(1)[4].check(error_counts).message
