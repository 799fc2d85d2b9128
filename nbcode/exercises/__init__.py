"""Exercises that check themselves: ``check``, ``hint`` and ``solution``, offline.

Every chapter ends with exercises. Those with a definite answer, a number or a
function, are checked here. In the chapter a reader replaces the placeholder
``___`` in an exercise cell and runs it::

    from nbcode.exercises import ___, for_chapter

    ex = for_chapter(1)
    output = ___  # replace ___ with your answer
    ex[1].check(output)  # correct / not attempted yet / not quite, and why
    ex[1].hint()         # a first hint; ex[1].hint(2) a stronger one
    ex[1].solution()     # the worked solution

A number is compared within a tolerance. A function is called, like
micrograd's tests, on several random inputs and on the edge cases the lesson
is about, and compared with a reference (PyTorch's own operation where there
is one). A wrong answer gets a message about its mistake: a wrong shape, an
overflow and the input that caused it, a factor of two, a flipped sign.

A checker raises :class:`NotQuite` with its message, or :class:`NotAttempted`
when it meets the placeholder (a function a reader has not written yet
returns ``___``); :func:`number`, :func:`tensor`, :func:`function` (results that
are tensors) and :func:`number_function` (one number per case) do both.

Each chapter's exercises live in ``nbcode/exercises/chapterNN.py`` as a list
``EXERCISES``; its ``SETUP`` holds the imports that its solutions assume,
which the chapter has already made. The tests run every exercise with its
solution (must be correct), its untouched placeholder (must be not attempted)
and its typical wrong answers (must be not quite, with their message).
"""

import copy
import importlib
import math
from dataclasses import dataclass, field

import torch

__all__ = ["___", "NotQuite", "NotAttempted", "Verdict", "Exercise", "for_chapter", "as_number", "number", "tensor",
           "same", "function", "attempt", "matches", "name_mistake", "numbers_returned",
           "number_function", "CORRECT", "NOT_ATTEMPTED", "NOT_QUITE"]

CORRECT, NOT_ATTEMPTED, NOT_QUITE = "correct", "not attempted yet", "not quite"


class _Blank:
    """The placeholder a reader replaces.

    Arithmetic on it gives the placeholder back, so an answer that still holds
    it (``2 * ___ + 1``, or a function returning ``___ / n``) is reported as not
    attempted yet instead of failing in the reader's own cell; turning it into
    a number or a truth value says what to do.
    """

    def __repr__(self):
        return "___"

    def _blank(self, *others):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _blank
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _blank
    __neg__ = __pos__ = __abs__ = _blank

    def _refuse(self, *others):
        raise TypeError("___ is the placeholder: replace it with your answer, then run the cell again.")

    __float__ = __int__ = __index__ = __bool__ = __iter__ = __len__ = _refuse


___ = _Blank()


class NotQuite(Exception):
    """Raised by a checker: the answer is wrong, and the message says how."""


class NotAttempted(Exception):
    """Raised by a checker that meets the placeholder, or a function that returns it."""


@dataclass(frozen=True)
class Verdict:
    """The answer of ``check``: its ``status`` (one of the three) and a message."""

    exercise: str
    status: str
    message: str

    def __bool__(self):
        return self.status == CORRECT

    def __repr__(self):
        return f"{self.exercise}: {self.status}. {self.message}".rstrip()


class _Text(str):
    """A hint or a solution: shown as plain text, and as Markdown where a notebook can render it."""

    def __repr__(self):
        return str(self)

    def _repr_markdown_(self):
        return str(self)


@dataclass(frozen=True)
class Exercise:
    """One exercise with a definite answer.

    ``names`` are the answers ``check`` takes, in order; ``checker`` receives
    them and raises :class:`NotQuite` with a specific message when they are
    wrong. ``placeholder`` is the code of the untouched exercise cell (it binds
    ``names`` to ``___``), ``solution_code`` the worked solution's code, and
    ``wrong`` pairs of typical wrong code and a fragment of the message it must
    get; the tests run all three.
    """

    chapter: int
    number: int
    names: tuple
    checker: object
    hints: tuple
    solution_code: str
    placeholder: str
    wrong: tuple = field(default=())
    correct_message: str = ""

    @property
    def label(self):
        return f"Exercise {self.chapter}.{self.number}"

    def check(self, *answers):
        """Check the answers (as many as ``names``) and say correct, not attempted yet or not quite."""
        if len(answers) != len(self.names):
            expected = ", ".join(self.names)
            return Verdict(self.label, NOT_QUITE, f"check takes {len(self.names)} answer(s), ({expected}); "
                                                  f"it was given {len(answers)}.")
        try:
            if any(answer is ___ for answer in answers):
                raise NotAttempted
            self.checker(*answers)
        except NotAttempted:
            return Verdict(self.label, NOT_ATTEMPTED,
                           f"Replace ___ with your answer and run the cell again; ex[{self.number}].hint() gives a hint.")
        except NotQuite as mistake:
            return Verdict(self.label, NOT_QUITE, f"{mistake} Try ex[{self.number}].hint().")
        return Verdict(self.label, CORRECT, self.correct_message)

    def hint(self, level=1):
        """Hint number ``level`` (1 is the gentlest)."""
        if not isinstance(level, int) or not 1 <= level <= len(self.hints):
            return _Text(f"{self.label} has hints 1 to {len(self.hints)}: ex[{self.number}].hint({len(self.hints)}) "
                         f"is the strongest, and ex[{self.number}].solution() the worked solution.")
        more = f" (ex[{self.number}].hint({level + 1}) says more)" if level < len(self.hints) else ""
        return _Text(f"Hint {level} of {len(self.hints)}{more}: {self.hints[level - 1]}")

    def solution(self):
        """The worked solution, as code."""
        return _Text(f"```python\n{self.solution_code.strip()}\n```")


class _Unchecked:
    """What ``ex[N]`` is for an exercise without a check: every call says so in one line."""

    def __init__(self, chapter, number, checked):
        self.label = f"Exercise {chapter}.{number}"
        self._why = (f"{self.label} has no check: it is an open question, answered in the collapsed solution under "
                     f"it, if it has one. The checked exercises of chapter {chapter} are "
                     f"{', '.join(map(str, checked))}.")

    def check(self, *answers):
        return Verdict(self.label, NOT_QUITE, self._why)

    def hint(self, level=1):
        return _Text(self._why)

    def solution(self):
        return _Text(self._why)


class _Exercises(dict):
    """A chapter's checked exercises by number; any other number gives an :class:`_Unchecked`."""

    def __init__(self, chapter, exercises):
        super().__init__((exercise.number, exercise) for exercise in exercises)
        self.chapter = chapter

    def __missing__(self, number):
        return _Unchecked(self.chapter, number, sorted(self))


def for_chapter(chapter):
    """The exercises of a chapter, by number: ``for_chapter(1)[2]`` is exercise 2 of chapter 1."""
    try:
        module = importlib.import_module(f"{__name__}.chapter{int(chapter):02d}")
    except (ModuleNotFoundError, ValueError):
        raise ValueError(f"there are no checked exercises for chapter {chapter!r}; chapters are numbered 1 to 12") from None
    return _Exercises(int(chapter), module.EXERCISES)


# Checkers' building blocks. Each raises NotQuite with a message about the mistake.

def as_number(answer, name="your answer"):
    """``answer`` as a float, or NotQuite saying why it is not one number."""
    if isinstance(answer, (str, bytes)):
        raise NotQuite(f"{name} should be a number; it is the text {answer!r}: remove the quotes.")
    if isinstance(answer, bool):
        raise NotQuite(f"{name} should be a number; it is the truth value {answer}.")
    if torch.is_tensor(answer):
        if answer.numel() != 1:
            raise NotQuite(f"{name} should be one number; it is a tensor of shape {tuple(answer.shape)}.")
        return float(answer.detach())
    try:
        return float(answer)
    except (TypeError, ValueError):
        raise NotQuite(f"{name} should be a number; it is {type(answer).__name__} {answer!r}.") from None


def _relation(got, expected):
    """Name a simple wrong relation between two numbers or tensors of the same shape, or return ''."""
    for factor, words in ((2.0, "twice"), (0.5, "half"), (-1.0, "minus")):
        if torch.allclose(got, factor * expected, rtol=1e-3, atol=1e-6) and expected.abs().max() > 1e-6:
            return f"It is {words} the right value" + (": check the sign." if factor < 0 else ": a factor of two is off.")
    return ""


def number(answer, expected, name="your answer", rel=1e-3, abs=1e-6):
    """Check that ``answer`` is the number ``expected`` within a relative tolerance ``rel``."""
    value = as_number(answer, name)
    if not math.isfinite(value):
        raise NotQuite(f"{name} is {value}; the right value is finite.")
    if math.isclose(value, expected, rel_tol=rel, abs_tol=abs):
        return
    hint = _relation(torch.tensor(value, dtype=torch.float64), torch.tensor(float(expected), dtype=torch.float64))
    raise NotQuite(f"{name} is {value:.6g}, which is not right. {hint}".rstrip())


def tensor(answer, expected, name="your answer", rtol=1e-4, atol=1e-6):
    """Check that ``answer`` has ``expected``'s shape and values (to ``rtol`` and ``atol``)."""
    if answer is ___:
        raise NotAttempted
    if isinstance(answer, (str, bytes)):
        raise NotQuite(f"{name} should be a tensor; it is the text {answer!r}.")
    expected = torch.as_tensor(expected)
    if not torch.is_tensor(answer):
        kind = type(answer).__name__
        try:
            answer = torch.as_tensor(answer)
        except (TypeError, ValueError, RuntimeError):
            raise NotQuite(f"{name} should be a tensor; it is a {kind}, which torch.as_tensor cannot convert.") from None
        if expected.ndim > 0:  # one number may come as a Python number; anything larger should be a tensor
            raise NotQuite(f"{name} should be a tensor; it is a {kind}. torch.tensor({kind}) would make one, but "
                           "build it from tensor operations instead.")
    if (answer.dtype == torch.bool) != (expected.dtype == torch.bool):
        raise NotQuite(f"{name} has dtype {answer.dtype}; the right answer's is {expected.dtype}.")
    got, want = answer.detach().double().cpu(), expected.detach().double().cpu()
    if got.shape != want.shape:
        transposed = " (transposed?)" if got.ndim == 2 and got.shape == want.shape[::-1] else ""
        raise NotQuite(f"{name} has shape {tuple(got.shape)}; the expected shape is {tuple(want.shape)}{transposed}.")
    if not torch.isfinite(got).all() and torch.isfinite(want).all():
        raise NotQuite(f"{name} holds inf or nan where the right answer is finite: an overflow?")
    wrong = ~torch.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not wrong.any():
        return
    largest = (got - want).abs()[wrong].nan_to_num(float("inf")).max().item()
    where = _wrong_entries(got, want, wrong) if got.ndim > 0 else ""
    raise NotQuite(f"{name} differs from the right values by up to {largest:.3g}{where}. "
                   f"{_relation(got, want)}".rstrip())


def _wrong_entries(got, want, wrong, shown=3):
    """Where the wrong entries are: their count and the first few, with the value each should have."""
    positions = wrong.nonzero().tolist()
    examples = "; ".join(f"at {tuple(position) if len(position) > 1 else position[0]}: {got[tuple(position)].item():.4g}"
                         f" instead of {want[tuple(position)].item():.4g}" for position in positions[:shown])
    return f", in {len(positions)} of its {wrong.numel()} entries ({examples}{'; ...' if len(positions) > shown else ''})"


def same(got, want, rtol=1e-4, atol=1e-6):
    """Whether two results (tensors, numbers, or tuples of them) agree in shape and value."""
    gots = got if isinstance(got, tuple) else (got,)
    wants = want if isinstance(want, tuple) else (want,)
    if len(gots) != len(wants):
        return False
    try:
        for one_got, one_want in zip(gots, wants):
            one_got = torch.as_tensor(one_got).detach().double().cpu()
            one_want = torch.as_tensor(one_want).detach().double().cpu()
            if one_got.shape != one_want.shape or not torch.allclose(one_got, one_want, rtol=rtol, atol=atol):
                return False
    except (TypeError, ValueError, RuntimeError):
        return False
    return True


def _fresh(arguments):
    return [argument.clone() if torch.is_tensor(argument) else argument for argument in arguments]


def _name_the_mistake(candidate, reference, cases, mistakes, name, rtol, atol):
    """Raise NotQuite with the message of a typical mistake the candidate makes, if it makes one.

    On the first case where the candidate's result matches a wrong function's,
    and the wrong function's differs from the reference's (so that the case
    tells them apart), the verdict is that mistake's message.
    """
    for description, arguments in cases:
        try:
            got, want = candidate(*_fresh(arguments)), reference(*_fresh(arguments))
        except Exception:  # noqa: BLE001 - the reader's error is reported in function's own words
            continue
        for wrong, message in mistakes:
            try:
                mistaken = wrong(*_fresh(arguments))
            except Exception:  # noqa: BLE001 - a mistake that cannot run on this case says nothing about it
                continue
            if same(got, mistaken, rtol, atol) and not same(mistaken, want, rtol, atol):
                raise NotQuite(f"{name} {message} (for {description}).")


def function(candidate, reference, cases, name="your function", rtol=1e-4, atol=1e-6, mistakes=()):
    """Call ``candidate`` and ``reference`` on each case and compare the results with :func:`tensor`.

    ``cases`` are pairs (description, arguments); the arguments are cloned for
    each call, so a function that changes its input in place cannot spoil the
    comparison. Results may be tensors, numbers, or tuples of them.
    ``mistakes`` are pairs (wrong, message): ``wrong`` takes the reference's
    arguments and makes a typical mistake; an answer that makes it is told
    ``message`` (after ``name``) instead of where its values differ.
    """
    if candidate is ___:
        raise NotAttempted
    if not callable(candidate):
        raise NotQuite(f"{name} should be a function; it is {type(candidate).__name__}.")
    try:
        _compare_on_cases(candidate, reference, cases, name, rtol, atol)
    except NotQuite:
        _name_the_mistake(candidate, reference, cases, mistakes, name, rtol, atol)
        raise


def _compare_on_cases(candidate, reference, cases, name, rtol, atol):
    fresh = _fresh
    for description, arguments in cases:
        want = reference(*fresh(arguments))
        try:
            got = candidate(*fresh(arguments))
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:  # the reader's code failed: say where, in their words
            raise NotQuite(f"{name} raised {type(error).__name__} for {description}: {error}") from None
        if got is ___ or got is None:
            if got is ___:
                raise NotAttempted
            raise NotQuite(f"{name} returned None for {description}: is a `return` missing?")
        wants = want if isinstance(want, tuple) else (want,)
        if isinstance(got, list) and len(wants) > 1:
            raise NotQuite(f"{name} returned a list for {description}; return a tuple of {len(wants)} values, as "
                           "`return a, b` does.")
        gots = got if isinstance(got, tuple) else (got,)
        if len(gots) != len(wants):
            raise NotQuite(f"{name} returned {len(gots)} value(s) for {description}; expected {len(wants)}.")
        if len(wants) > 1 and same(gots[::-1], wants, rtol, atol) and not same(gots, wants, rtol, atol):
            raise NotQuite(f"{name} returned the right values in the wrong order for {description}.")
        for index, (one_got, one_want) in enumerate(zip(gots, wants)):
            which = f" (value {index + 1})" if len(wants) > 1 else ""
            tensor(one_got, one_want, name=f"{name}{which} for {description}", rtol=rtol, atol=atol)


def attempt(candidate, arguments):
    """The candidate's result on fresh copies of ``arguments`` as a tensor (numbers become float64 tensors),
    or None if it fails or returns something else; for naming a mistake before the full check runs."""
    if not callable(candidate):
        return None
    try:
        result = candidate(*[a.clone() if torch.is_tensor(a) else a for a in arguments])
    except Exception:  # the full check below reports the error in the reader's words
        return None
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return torch.tensor(result, dtype=torch.float64)
    return result.detach() if torch.is_tensor(result) else None


def matches(got, wrong, rtol=1e-4, atol=1e-5):
    """Whether ``got`` has the shape and values of a known wrong answer (nan where it has nan)."""
    return (got is not None and got.shape == wrong.shape
            and torch.allclose(got.double(), wrong.double(), rtol=rtol, atol=atol, equal_nan=True))


def name_mistake(candidate, arguments, mistakes):
    """Raise NotQuite with the message of the first known mistake whose result the candidate reproduces."""
    got = attempt(candidate, arguments)
    for wrong, message in mistakes:
        if matches(got, wrong):
            raise NotQuite(message)


# For functions that return one number per case and whose typical mistakes are whole formulas: the
# candidate is called on every case; if it disagrees with the reference, and agrees on every case with one of
# the mistakes, the mistake's message is the verdict, otherwise the first case it gets wrong is named.

def numbers_returned(candidate, cases, name):
    """What ``candidate`` returns on each case (pairs of description and arguments), each as a number."""
    if candidate is ___:
        raise NotAttempted
    if not callable(candidate):
        raise NotQuite(f"{name} should be a function; it is {type(candidate).__name__}.")
    results = []
    for description, arguments in cases:
        try:
            got = candidate(*copy.deepcopy(arguments))
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:  # the reader's code failed: say where
            raise NotQuite(f"{name} raised {type(error).__name__} for {description}: {error}") from None
        if got is ___:
            raise NotAttempted
        if got is None:
            raise NotQuite(f"{name} returned None for {description}: is a `return` missing?")
        results.append(as_number(got, name=f"what {name} returned for {description}"))
    return results


def number_function(candidate, reference, cases, mistakes, name, reference_name, rel=0.0):
    """Check ``candidate`` against ``reference`` on ``cases`` (pairs of description and arguments).

    ``mistakes`` are pairs (a wrong function, the message for it). With ``rel=0`` the results must be equal
    (sizes, counts); otherwise they must agree to that relative tolerance.
    """
    gots = numbers_returned(candidate, cases, name)
    wants = [reference(*copy.deepcopy(arguments)) for _, arguments in cases]

    def agree(got, want):
        return got == want if rel == 0 else math.isclose(got, want, rel_tol=rel, abs_tol=1e-9)

    if all(agree(got, want) for got, want in zip(gots, wants)):
        return
    for mistake, message in mistakes:
        try:
            theirs = [mistake(*copy.deepcopy(arguments)) for _, arguments in cases]
        except Exception:  # a mistake that cannot even run on some case matches nothing
            continue
        if all(agree(got, wrong) for got, wrong in zip(gots, theirs)):
            raise NotQuite(message)
    description, got, want = next((description, got, want) for (description, _), got, want
                                  in zip(cases, gots, wants) if not agree(got, want))
    shown = (lambda x: f"{x:g}") if rel == 0 else (lambda x: f"{x:.6g}")
    raise NotQuite(f"{name} returned {shown(got)} for {description}, where {reference_name} gives {shown(want)}.")
