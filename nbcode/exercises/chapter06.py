"""Chapter 6, the multilayer perceptron: the checked exercises."""

import math

import numpy as np
import torch

from . import Exercise, NotQuite, NotAttempted, ___, as_number, function, number

SETUP = ("import numpy as np\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"
         "from nbcode import article_a\nfrom nbcode.train import count_parameters\n")


# Exercise 1: the parameters saved by replacing the four collapsed layers of article A's network.

def _linear(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)


_SIZES = ((30, 250), (250, 500), (500, 1000), (1000, 1500))
_COLLAPSED = sum(_linear(*sizes) for sizes in _SIZES)  # 2,135,750
_SINGLE = _linear(30, 1500)  # 46,500
_ARTICLE_A = 16_897_252  # the whole network, as chapter 6 prints it


def _check_saved(saved):
    value = as_number(saved, name="The number of parameters saved")
    named = (
        (_COLLAPSED, "is how many parameters the four collapsed layers hold; the single layer that replaces "
                     "them has parameters of its own."),
        (_SINGLE, "is the size of the single layer that replaces them; the question asks how many fewer "
                  "parameters the network has."),
        (sum(_linear(*sizes, bias=False) for sizes in _SIZES) - _linear(30, 1500, bias=False),
         "counts only the weight matrices: every nn.Linear has a bias too, one per output."),
        (_ARTICLE_A - _COLLAPSED + _SINGLE, "is the size of the whole network after the change, not the "
                                            "saving."),
        (-(_COLLAPSED - _SINGLE), "is negative, but the network gets smaller: check the sign."),
    )
    for wrong, message in named:
        if math.isclose(value, wrong, abs_tol=0.5):
            raise NotQuite(f"{value:,.0f} {message}")
    number(value, _COLLAPSED - _SINGLE, name="The number of parameters saved", rel=0, abs=0.5)


# Exercise 3: the pair of digits confused most often, in both directions together.

def _reference_pair(counts):
    off_diagonal = np.array(counts, copy=True)
    np.fill_diagonal(off_diagonal, 0)
    symmetric = off_diagonal + off_diagonal.T
    a, b = divmod(int(symmetric.argmax()), len(counts))  # the upper triangle comes first: a < b
    return a, b, int(symmetric[a, b])


def _count_matrix(generator, n_classes):
    """Random confusion counts with a large diagonal and one pair confused most often in both directions together.

    A single cell outside that pair is larger than either of the pair's cells, so that taking the largest single
    cell gives another answer.
    """
    counts = torch.randint(0, 8, (n_classes, n_classes), generator=generator)  # pair sums at most 14
    counts += torch.diag(torch.randint(400, 900, (n_classes,), generator=generator))
    p, q, r = (int(i) for i in torch.randperm(n_classes, generator=generator)[:3])
    extra = int(torch.randint(0, 4, (), generator=generator))
    counts[p, q], counts[q, p] = 14 + extra, 13 + extra  # the pair: a sum of 27 to 33
    counts[r, p], counts[p, r] = 20 + extra, 2  # the largest single cell, in a pair of sum 22 to 25
    return counts.numpy().astype(np.int64)


_PAIR_CASES = None


def _pair_cases():
    global _PAIR_CASES
    if _PAIR_CASES is None:
        generator = torch.Generator().manual_seed(8)
        _PAIR_CASES = [(f"random counts for 10 digits ({index + 1})", _count_matrix(generator, 10))
                       for index in range(3)]
        _PAIR_CASES += [(f"counts for {n} classes", _count_matrix(generator, n)) for n in (3, 7)]
    return [(description, counts.copy()) for description, counts in _PAIR_CASES]


def _check_pair(most_confused_pair):
    if most_confused_pair is ___:
        raise NotAttempted
    if not callable(most_confused_pair):
        raise NotQuite(f"most_confused_pair should be a function; it is {type(most_confused_pair).__name__}.")
    for description, counts in _pair_cases():
        given = counts.copy()
        try:
            answer = most_confused_pair(given)
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:
            fixed = " Is the number of classes written into your function?" if len(counts) != 10 else ""
            raise NotQuite(f"most_confused_pair raised {type(error).__name__} for {description}: {error}.{fixed}") \
                from None
        if answer is ___:
            raise NotAttempted
        if answer is None:
            raise NotQuite(f"most_confused_pair returned None for {description}: is a `return` missing?")
        if not np.array_equal(given, counts):
            raise NotQuite(f"most_confused_pair changed the matrix it was given ({description}): in the chapter "
                           "that would overwrite `counts`. Work on a copy.")
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            size = len(answer) if isinstance(answer, (tuple, list)) else 1
            raise NotQuite(f"most_confused_pair returned {size} value(s) for {description}; it should return 3, "
                           "(a, b, count).")
        try:
            a, b, count = (int(value) for value in answer)
        except (TypeError, ValueError):
            raise NotQuite(f"most_confused_pair should return three whole numbers; for {description} it returned "
                           f"{answer!r}.") from None
        want_a, want_b, want_count = _reference_pair(counts)
        if {a, b} == {want_a, want_b} and count == want_count:
            continue
        n = len(counts)
        if n != 10:  # the 10 x 10 cases, checked first, were right
            raise NotQuite(f"Your function is right for 10 classes but not for {description} (it gave ({a}, {b}, "
                           f"{count})): is the number of classes written into it?")
        if a == b:
            raise NotQuite(f"For {description} you named class {a} twice: the diagonal holds the correct answers, "
                           "and a class cannot be confused with itself.")
        if {a, b} == {want_a, want_b}:
            one_way = int(counts[a, b]), int(counts[b, a])
            if count in one_way:
                raise NotQuite(f"For {description} the pair is right, but {count} counts its confusions in one "
                               "direction only; the question asks for both together.")
            raise NotQuite(f"For {description} the pair is right, but the count {count} is not.")
        largest = np.unravel_index(np.where(np.eye(n, dtype=bool), 0, counts).argmax(), counts.shape)
        if {a, b} == {int(largest[0]), int(largest[1])}:
            raise NotQuite(f"For {description} you found the largest single cell, {largest[0]} predicted as "
                           f"{largest[1]}; the question counts the confusions in both directions together.")
        raise NotQuite(f"For {description} the answer ({a}, {b}, {count}) is not the most confused pair.")


# Exercise 4: normalisation with the training set's statistics.

def _reference_normalise(images, train_images):
    return (images - train_images.mean()) / train_images.std()


def _digit_like(generator, count, size=8):
    """Images with values in [0, 1], mostly dark, and a border that is 0 in every image, as in MNIST."""
    images = torch.rand(count, 1, size, size, generator=generator) ** 3
    images[..., 0, :] = images[..., -1, :] = images[..., :, 0] = images[..., :, -1] = 0.0
    return images


def _normalise_cases():
    generator = torch.Generator().manual_seed(9)
    train = _digit_like(generator, 500)  # 32,000 pixels: N or N - 1 in the standard deviation differ by 2e-5
    return [
        ("a batch of 16 test images", (_digit_like(generator, 16), train)),
        ("a single new image", (_digit_like(generator, 1), train)),
        ("a blank image (every pixel 0)", (torch.zeros(1, 1, 8, 8), train)),
        ("a batch of 4 flattened images, of shape (4, 64)", (_digit_like(generator, 4).flatten(start_dim=1), train)),
        ("an empty batch", (torch.zeros(0, 1, 8, 8), train)),
    ]


def _check_normalise(normalise):
    if normalise is ___:
        raise NotAttempted
    if not callable(normalise):
        raise NotQuite(f"normalise should be a function; it is {type(normalise).__name__}.")
    for description, (images, train) in _normalise_cases():
        try:
            function(normalise, _reference_normalise, [(description, (images, train))], name="normalise",
                     rtol=1e-4, atol=1e-5)
        except NotQuite as mistake:
            try:
                got = torch.as_tensor(normalise(images.clone(), train.clone())).detach().double()
            except Exception:
                raise mistake from None
            own = (images - images.mean()) / images.std()
            if len(images) > 1 and got.shape == own.shape and torch.allclose(got, own.double(), rtol=1e-4, atol=1e-5):
                raise NotQuite(f"For {description} you normalised the images with their own mean and standard "
                               "deviation: for the test images that uses the test set's statistics, not those of "
                               "the training images.") from None
            if len(images) and not torch.isfinite(got).all():
                raise NotQuite(f"For {description} normalise returned inf or nan. A standard deviation of 0? A "
                               "single image, or a blank one, has no spread of its own, and a pixel that is 0 in "
                               "every training image (the border) has none either.") from None
            raise


EXERCISES = [
    Exercise(
        chapter=6, number=1, names=("saved",), checker=_check_saved,
        hints=("An nn.Linear(n, m) has n * m weights and m biases; count_parameters counts both.",
               "Count the four layers with nothing between them (article_a_net[:4]), then subtract what "
               "nn.Linear(30, 1500) holds."),
        solution_code="""
collapsed = article_a.tabular_classifier(30)[:4]  # the four linear layers with nothing between them
saved = count_parameters(collapsed) - count_parameters(nn.Linear(30, 1500))
""",
        placeholder="saved = ___  # how many fewer parameters the network has with nn.Linear(30, 1500)",
        wrong=(("saved = 2_135_750", "single layer that replaces them"),
               ("saved = 30 * 250 + 250 * 500 + 500 * 1000 + 1000 * 1500 - 30 * 1500", "only the weight"),
               ("saved = 16_897_252 - 2_135_750 + 46_500", "whole network after the change"),
               ("saved = 2_090_000", "not right")),
        correct_message="2,135,750 - 46,500 = 2,089,250 parameters, an eighth of the network, for the same "
                        "function class.",
    ),
    Exercise(
        chapter=6, number=3, names=("most_confused_pair",), checker=_check_pair,
        hints=("Zero the diagonal of a copy (it holds the correct answers), then add the matrix to its transpose: "
               "entry (a, b) of the sum counts a predicted as b and b predicted as a.",
               "np.fill_diagonal(off, 0) on off = counts.copy(); symmetric = off + off.T; "
               "divmod(int(symmetric.argmax()), len(counts)) gives (a, b) with a < b."),
        solution_code="""
def most_confused_pair(counts):
    off_diagonal = counts.copy()
    np.fill_diagonal(off_diagonal, 0)
    symmetric = off_diagonal + off_diagonal.T  # (a, b) and (b, a) hold the same sum
    a, b = divmod(int(symmetric.argmax()), len(counts))  # the first maximum, with a < b
    return a, b, int(symmetric[a, b])
""",
        placeholder="""
def most_confused_pair(counts):
    return ___  # (a, b, count): the two classes confused most often, in both directions together
""",
        wrong=(("def most_confused_pair(counts):\n"
                "    off = counts.copy()\n"
                "    np.fill_diagonal(off, 0)\n"
                "    a, b = divmod(int(off.argmax()), len(counts))\n"
                "    return a, b, int(off[a, b] + off[b, a])", "largest single cell"),
               ("def most_confused_pair(counts):\n"
                "    symmetric = counts + counts.T\n"
                "    a, b = divmod(int(symmetric.argmax()), len(counts))\n"
                "    return a, b, int(symmetric[a, b])", "cannot be confused with itself"),
               ("def most_confused_pair(counts):\n"
                "    off = counts.copy()\n"
                "    np.fill_diagonal(off, 0)\n"
                "    a, b = divmod(int((off + off.T).argmax()), 10)\n"
                "    return a, b, int(off[a, b] + off[b, a])", "number of classes written into"),
               ("def most_confused_pair(counts):\n"
                "    np.fill_diagonal(counts, 0)\n"
                "    symmetric = counts + counts.T\n"
                "    a, b = divmod(int(symmetric.argmax()), len(counts))\n"
                "    return a, b, int(symmetric[a, b])", "changed the matrix"),
               ("def most_confused_pair(counts):\n"
                "    off = counts.copy()\n"
                "    np.fill_diagonal(off, 0)\n"
                "    a, b = divmod(int((off + off.T).argmax()), len(counts))\n"
                "    return a, b, int(off[a, b])", "one direction only")),
        correct_message="Zeroing the diagonal and adding the transpose counts both directions at once.",
    ),
    Exercise(
        chapter=6, number=4, names=("normalise",), checker=_check_normalise,
        hints=("One mean and one standard deviation, over every pixel of every training image, as "
               "`pixel_mean` and `pixel_std` in the chapter.",
               "Subtract train_images.mean() and divide by train_images.std(); the statistics of the images "
               "being normalised play no part."),
        solution_code="""
def normalise(images, train_images):
    return (images - train_images.mean()) / train_images.std()
""",
        placeholder="""
def normalise(images, train_images):
    return ___  # images normalised with the training images' statistics
""",
        wrong=(("def normalise(images, train_images):\n"
                "    return (images - images.mean()) / images.std()", "their own mean"),
               ("def normalise(images, train_images):\n"
                "    return (images - train_images.mean(dim=0)) / train_images.std(dim=0)", "inf or nan"),
               ("def normalise(images, train_images):\n"
                "    return (train_images - train_images.mean()) / train_images.std()", "shape"),
               ("def normalise(images, train_images):\n"
                "    return images / train_images.std()", "differs")),
        correct_message="The statistics come from the training images alone, so one new image, or a blank one, "
                        "is normalised as it would be in training.",
    ),
]
