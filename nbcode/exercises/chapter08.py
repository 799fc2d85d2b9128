"""Chapter 8, autoencoders: the checked exercises."""

import copy
import functools

import torch
from torch import nn

from . import ___, Exercise, NotQuite, NotAttempted, as_number, number, number_function, numbers_returned

SETUP = ("import math\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"
         "from nbcode.train import count_parameters\n")


# Exercise 3: article A's decoder with transposed convolutions.

_CODE = 1000  # Encdec's code size, nr


def _decoder_described():
    """The decoder of the exercise, on the meta device (shapes only)."""
    with torch.device("meta"):
        return nn.Sequential(
            nn.Linear(_CODE, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(),
            nn.Linear(500, 50 * 8 * 8), nn.ReLU(), nn.Unflatten(1, (50, 8, 8)),
            nn.ConvTranspose2d(50, 50, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(50, 50, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(50, 50, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(50, 3, 3, padding=1), nn.Tanh())


def _leaves(model):
    return [module for module in model.modules() if not list(module.children())]


def _describe(module):
    text = repr(module)
    return text if len(text) <= 100 else type(module).__name__


def _check_decoder(new_decoder, n_parameters):
    if new_decoder is ___ or n_parameters is ___:
        raise NotAttempted
    if not isinstance(new_decoder, nn.Module):
        raise NotQuite(f"new_decoder should be a network (an nn.Module); it is {type(new_decoder).__name__}.")
    model = copy.deepcopy(new_decoder).to("meta")  # shapes first, at no cost
    leaves = _leaves(model)
    try:
        with torch.no_grad():
            shape = tuple(model(torch.empty(2, _CODE, device="meta")).shape)
    except Exception as error:
        message = str(error).splitlines()[0].rstrip(".") + "."
        if not any(isinstance(m, nn.Unflatten) for m in leaves):
            raise NotQuite("new_decoder fails on a batch of codes: Linear(500, 3200) gives 3,200 numbers per code, "
                           "and a ConvTranspose2d needs them as 50 maps of 8x8.") from None
        raise NotQuite(f"new_decoder raised {type(error).__name__} on a batch of two codes of {_CODE} numbers: "
                       f"{message}") from None
    if shape != (2, 3, 64, 64):
        doubling = [m for m in leaves if isinstance(m, nn.ConvTranspose2d)
                    and m.kernel_size[0] - 2 * m.padding[0] != m.stride[0]]
        raise NotQuite(f"new_decoder maps a batch of two codes to shape {shape}; the expected shape is "
                       "(2, 3, 64, 64)." + (" A transposed convolution doubles the size exactly when "
                                            "k - 2p = s; " + _describe(doubling[0]) + " does not." if doubling else ""))
    count = sum(p.numel() for p in model.parameters())
    reference = _decoder_described()
    theirs, ours = [type(m) for m in leaves], [type(m) for m in _leaves(reference)]
    if theirs != ours:
        # Name the first place where the layers differ from the exercise's list.
        index = next((i for i, (a, b) in enumerate(zip(theirs, ours)) if a is not b), min(len(theirs), len(ours)))
        where = f"{_describe(leaves[index - 1])} (layer {index})" if index else None
        if index >= len(ours):
            raise NotQuite(f"new_decoder has more layers than the exercise lists: after {where} it goes on with "
                           f"{_describe(leaves[index])}.")
        found = _describe(leaves[index]) if index < len(leaves) else "nothing"
        before = f"After {where}" if where else "At the start"
        wanted = ours[index].__name__
        article = "an" if wanted[0] in "AEIOU" else "a"
        raise NotQuite(f"{before} the decoder of the exercise has {article} {wanted}; new_decoder has {found}.")
    if count != 3226203:
        different = next((m for m, r in zip(leaves, _leaves(reference))
                          if [p.shape for p in m.parameters()] != [p.shape for p in r.parameters()]), None)
        raise NotQuite(f"new_decoder has {count:,} parameters, not the count of the layers described"
                       + (f": check {_describe(different)}." if different is not None else "."))
    value = as_number(n_parameters, "n_parameters")
    if value == 16988744:
        raise NotQuite("n_parameters is 16,988,744, the whole model's: count the new decoder alone.")
    if value == 133966861:
        raise NotQuite("n_parameters is 133,966,861, the original decoder's: count the new one.")
    if value == 3226203 - 1001000 - 500500:
        raise NotQuite("n_parameters leaves out the two Linear layers kept from Encdec's decoder; count them too.")
    number(n_parameters, 3226203, name="n_parameters", rel=0)


# Exercise 4: the output_padding that restores a size.

def _restoring_cases():
    fixed = [(27, 4, 2, 1), (28, 4, 2, 1), (28, 3, 2, 1), (27, 3, 2, 1), (14, 3, 2, 1), (7, 3, 2, 1),
             (27, 5, 3, 1), (28, 5, 3, 1), (27, 3, 3, 1), (28, 3, 3, 1), (26, 3, 3, 1), (28, 2, 2, 0),
             (29, 6, 2, 2), (28, 3, 1, 1), (1, 3, 2, 1), (64, 5, 4, 2)]
    generator = torch.Generator().manual_seed(8)
    while len(fixed) < 40:
        kernel = int(torch.randint(1, 8, (), generator=generator))
        stride = int(torch.randint(1, 5, (), generator=generator))
        padding = int(torch.randint(0, kernel // 2 + 1, (), generator=generator))
        size = int(torch.randint(1, 65, (), generator=generator))
        if size + 2 * padding >= kernel:
            fixed.append((size, kernel, stride, padding))
    return [(f"size={size}, kernel={kernel}, stride={stride}, padding={padding}", (size, kernel, stride, padding))
            for size, kernel, stride, padding in fixed]


@functools.lru_cache(maxsize=None)
def _output_padding_by_layers(size, kernel, stride, padding):
    """Try each output_padding on PyTorch's own layers (meta device: shapes only)."""
    with torch.device("meta"):
        small = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)(torch.empty(1, 1, size, size))
        for extra in range(stride):
            up = nn.ConvTranspose2d(1, 1, kernel, stride=stride, padding=padding, output_padding=extra)
            if up(small).shape[-1] == size:
                return extra
    raise AssertionError(f"no output_padding restores {size}")  # cannot happen: the floor merged exactly s sizes


_RESTORING_MISTAKES = (
    (lambda n, k, s, p: n % s,
     "size % stride is right only when k - 2p is a multiple of s, as in the halving-and-doubling case k - 2p = s; "
     "try kernel=3, stride=2, padding=1, for which k - 2p = 1."),
    (lambda n, k, s, p: 0, "Zero is not always enough: a convolution of stride s maps s different sizes to the same "
                           "one, and output_padding says which of them to give back."),
    (lambda n, k, s, p: (n - k) % s, "Your function ignores the padding: the convolution pads both sides with p "
                                     "zeros, and the transposed convolution crops p from each side."),
)


def _check_restoring(restoring_output_padding):
    cases = _restoring_cases()
    gots = numbers_returned(restoring_output_padding, cases, "restoring_output_padding")
    for (description, (_, _, stride, _)), got in zip(cases, gots):
        if got != int(got) or not 0 <= got < stride:
            raise NotQuite(f"restoring_output_padding returned {got:g} for {description}; output_padding is a whole "
                           f"number from 0 to stride - 1, here {stride - 1}.")
    number_function(restoring_output_padding, _output_padding_by_layers, cases, _RESTORING_MISTAKES,
                    "restoring_output_padding", "trying each value on nn.ConvTranspose2d")


# Exercise 5: the PCA baseline.

def _reference_pca(train, test, d):
    mean = train.double().mean(dim=0)
    centred = train.double() - mean
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    top = vectors[:, vectors.shape[1] - d:]
    y = test.double() - mean
    return ((y @ top @ top.T - y) ** 2).mean().item()


def _pca_bottom(train, test, d):
    mean = train.double().mean(dim=0)
    centred = train.double() - mean
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    top = vectors[:, :d]
    y = test.double() - mean
    return ((y @ top @ top.T - y) ** 2).mean().item()


def _pca_negative_slice(train, test, d):
    mean = train.double().mean(dim=0)
    centred = train.double() - mean
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    top = vectors[:, -d:]  # for d = 0 this is every column
    y = test.double() - mean
    return ((y @ top @ top.T - y) ** 2).mean().item()


def _pca_uncentred(train, test, d):
    x = train.double()
    _, vectors = torch.linalg.eigh(x.T @ x)
    top = vectors[:, vectors.shape[1] - d:]
    y = test.double()
    return ((y @ top @ top.T - y) ** 2).mean().item()


def _pca_test_mean(train, test, d):
    centred = train.double() - train.double().mean(dim=0)
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    top = vectors[:, vectors.shape[1] - d:]
    y = test.double() - test.double().mean(dim=0)
    return ((y @ top @ top.T - y) ** 2).mean().item()


def _pca_summed(train, test, d):
    return _reference_pca(train, test, d) * train.shape[1]


_PCA_MISTAKES = (
    (_pca_bottom, "You kept the d directions of least variance: torch.linalg.eigh returns the eigenvalues in "
                  "ascending order, so the top d eigenvectors are its last d columns."),
    (_pca_negative_slice, "Right for every d but 0, where no component is kept and every test image is predicted "
                          "by the training mean: a slice [:, -0:] keeps every column, not none."),
    (_pca_uncentred, "Subtract the training images' mean before the eigendecomposition and the projection: "
                     "principal components are directions of variance around the mean."),
    (_pca_test_mean, "Centre the test images with the training mean, not their own: the baseline may learn only "
                     "from the training images."),
    (_pca_summed, "Your errors are D times too large: the chapter's MSE is the mean over pixels as well as over "
                  "images."),
)


def _pca_cases():
    generator = torch.Generator().manual_seed(9)
    cases = []
    for n_train, n_test, dims, shift in ((300, 60, 12, 0.0), (200, 40, 7, 0.5), (150, 1, 5, 0.0)):
        scales = torch.linspace(3.0, 0.2, dims)  # well separated variances: the top components are unique
        basis, _ = torch.linalg.qr(torch.randn(dims, dims, generator=generator))
        offset = 2.0 + torch.randn(dims, generator=generator)
        train = (torch.randn(n_train, dims, generator=generator) * scales) @ basis.T + offset
        test = (torch.randn(n_test, dims, generator=generator) * scales) @ basis.T + offset + shift
        for d in sorted({1, 3, dims - 1, dims}):
            cases.append((f"{n_train} training and {n_test} test vectors of {dims} numbers, d={d}", (train, test, d)))
        cases.append((f"{n_train} training and {n_test} test vectors of {dims} numbers, d=0", (train, test, 0)))
    return cases


def _check_pca(pca_reconstruction_mse):
    number_function(pca_reconstruction_mse, _reference_pca, _pca_cases(), _PCA_MISTAKES, "pca_reconstruction_mse",
                    "exact PCA", rel=1e-3)


EXERCISES = [
    Exercise(
        chapter=8, number=3, names=("new_decoder", "n_parameters"), checker=_check_decoder,
        hints=("One nn.Sequential, built inside `with torch.device(\"meta\"):`, holding Linear(1000, 1000), ReLU, "
               "Linear(1000, 500), ReLU (Encdec's decoder[:4]) and then the new layers, in the exercise's order.",
               "Each ConvTranspose2d(50, 50, kernel_size=4, stride=2, padding=1) doubles: (H - 1) * 2 - 2 + 4 = 2H; "
               "Unflatten(1, (50, 8, 8)) turns the 3,200 numbers into 50 maps of 8x8.",
               "Push torch.empty(8, 1000) through it, still on the meta device, to read the shape, and count with "
               "count_parameters(new_decoder)."),
        solution_code="""
with torch.device("meta"):
    new_decoder = nn.Sequential(
        nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(),  # as encdec.decoder[:4]
        nn.Linear(500, 50 * 8 * 8), nn.ReLU(), nn.Unflatten(1, (50, 8, 8)),
        nn.ConvTranspose2d(50, 50, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # 8 -> 16
        nn.ConvTranspose2d(50, 50, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # 16 -> 32
        nn.ConvTranspose2d(50, 50, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # 32 -> 64
        nn.Conv2d(50, 3, kernel_size=3, padding=1), nn.Tanh(),
    )
    print(new_decoder(torch.empty(8, 1000)).shape)  # torch.Size([8, 3, 64, 64])
n_parameters = count_parameters(new_decoder)  # 3,226,203
""",
        placeholder="""
with torch.device("meta"):
    new_decoder = ___  # Encdec's decoder with transposed convolutions
n_parameters = ___  # its number of parameters
""",
        wrong=(("with torch.device('meta'):\n    new_decoder = nn.Sequential(\n"
                "        nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(), nn.Linear(500, 3200),\n"
                "        nn.ReLU(), nn.Unflatten(1, (50, 8, 8)),\n"
                "        *[layer for _ in range(3) for layer in (nn.ConvTranspose2d(50, 50, 4, stride=2), nn.ReLU())],\n"
                "        nn.Conv2d(50, 3, 3, padding=1), nn.Tanh())\n"
                "n_parameters = count_parameters(new_decoder)", "k - 2p = s"),
               ("with torch.device('meta'):\n    new_decoder = nn.Sequential(\n"
                "        nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(), nn.Linear(500, 3200),\n"
                "        nn.ReLU(),\n"
                "        *[layer for _ in range(3) for layer in (nn.ConvTranspose2d(50, 50, 4, 2, 1), nn.ReLU())],\n"
                "        nn.Conv2d(50, 3, 3, padding=1), nn.Tanh())\n"
                "n_parameters = 3226203", "50 maps of 8x8"),
               ("with torch.device('meta'):\n    new_decoder = nn.Sequential(\n"
                "        nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(), nn.Linear(500, 3200),\n"
                "        nn.Unflatten(1, (50, 8, 8)),\n"
                "        *[layer for _ in range(3) for layer in (nn.ConvTranspose2d(50, 50, 4, 2, 1), nn.ReLU())],\n"
                "        nn.Conv2d(50, 3, 3, padding=1), nn.Tanh())\n"
                "n_parameters = 3226203", "has a ReLU"),
               ("with torch.device('meta'):\n    new_decoder = nn.Sequential(\n"
                "        nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 500), nn.ReLU(), nn.Linear(500, 3200),\n"
                "        nn.ReLU(), nn.Unflatten(1, (50, 8, 8)),\n"
                "        *[layer for _ in range(3) for layer in (nn.ConvTranspose2d(50, 50, 4, 2, 1), nn.ReLU())],\n"
                "        nn.Conv2d(50, 3, 3, padding=1), nn.Tanh())\n"
                "n_parameters = 16988744", "whole model")),
        correct_message="3,226,203 parameters instead of the original decoder's 133,966,861, and still 3x64x64 images.",
    ),
    Exercise(
        chapter=8, number=4, names=("restoring_output_padding",), checker=_check_restoring,
        hints=("First the size m that Conv2d(kernel, stride, padding) makes of `size` (chapter 7's formula), then "
               "the size ConvTranspose2d with the same settings makes of m with output_padding 0; output_padding "
               "is what is missing.",
               "m = (size + 2 * padding - kernel) // stride + 1 and the transposed convolution gives "
               "(m - 1) * stride - 2 * padding + kernel; subtract that from size.",
               "The two steps simplify to one remainder: (size + 2 * padding - kernel) % stride."),
        solution_code="""
def restoring_output_padding(size, kernel, stride, padding):
    m = (size + 2 * padding - kernel) // stride + 1  # what the convolution leaves
    return size - ((m - 1) * stride - 2 * padding + kernel)  # what the transposed convolution lacks


print([restoring_output_padding(size, 3, 2, 1) for size in (28, 27, 14, 7)])  # [1, 0, 1, 0]
print([restoring_output_padding(size, 4, 2, 1) for size in (28, 27, 14, 7)])  # [0, 1, 0, 1]
""",
        placeholder="""
def restoring_output_padding(size, kernel, stride, padding):
    return ___  # the output_padding that gives back size
""",
        wrong=(("def restoring_output_padding(size, kernel, stride, padding):\n    return size % stride", "k - 2p = s"),
               ("def restoring_output_padding(size, kernel, stride, padding):\n    return 0", "Zero is not always"),
               ("def restoring_output_padding(size, kernel, stride, padding):\n    return (size - kernel) % stride",
                "ignores the padding"),
               ("def restoring_output_padding(size, kernel, stride, padding):\n"
                "    m = (size + 2 * padding - kernel) // stride\n"
                "    return size - ((m - 1) * stride - 2 * padding + kernel)", "from 0 to stride - 1")),
        correct_message="It gives back the size on PyTorch's layers in all 40 cases; it equals "
                        "(size + 2 * padding - kernel) % stride.",
    ),
    Exercise(
        chapter=8, number=5, names=("pca_reconstruction_mse",), checker=_check_pca,
        hints=("Centre both sets with the training mean; the principal components are the eigenvectors of the "
               "centred training matrix's X.T @ X (torch.linalg.eigh, in float64 for accuracy).",
               "eigh sorts the eigenvalues in ascending order: the top d components are the last d columns, "
               "vectors[:, D - d:] (which is empty for d = 0). Project a centred test row y onto them: "
               "y @ V @ V.T.",
               "The MSE is ((y @ V @ V.T - y) ** 2).mean(), the mean over images and pixels; adding the mean back "
               "to both the reconstruction and the image changes nothing."),
        solution_code="""
def pca_reconstruction_mse(train, test, d):
    mean = train.double().mean(dim=0)  # the training images' mean, also used for the test images
    centred = train.double() - mean
    _, vectors = torch.linalg.eigh(centred.T @ centred)  # eigenvalues in ascending order
    top = vectors[:, vectors.shape[1] - d:]  # the last d columns; none for d = 0
    y = test.double() - mean
    return ((y @ top @ top.T - y) ** 2).mean().item()
""",
        placeholder="""
def pca_reconstruction_mse(train, test, d):
    return ___  # the test MSE of the projection on the top d principal components of train
""",
        wrong=(("def pca_reconstruction_mse(train, test, d):\n    mean = train.mean(dim=0)\n"
                "    _, vectors = torch.linalg.eigh((train - mean).T @ (train - mean))\n"
                "    top = vectors[:, :d]\n    y = test - mean\n    return ((y @ top @ top.T - y) ** 2).mean().item()",
                "least variance"),
               ("def pca_reconstruction_mse(train, test, d):\n    mean = train.mean(dim=0)\n"
                "    _, vectors = torch.linalg.eigh((train - mean).T @ (train - mean))\n"
                "    top = vectors[:, -d:]\n    y = test - mean\n    return ((y @ top @ top.T - y) ** 2).mean().item()",
                "[:, -0:]"),
               ("def pca_reconstruction_mse(train, test, d):\n"
                "    _, vectors = torch.linalg.eigh(train.T @ train)\n"
                "    top = vectors[:, vectors.shape[1] - d:]\n    return ((test @ top @ top.T - test) ** 2).mean().item()",
                "Subtract the training"),
               ("def pca_reconstruction_mse(train, test, d):\n    mean = train.mean(dim=0)\n"
                "    _, vectors = torch.linalg.eigh((train - mean).T @ (train - mean))\n"
                "    top = vectors[:, vectors.shape[1] - d:]\n    y = test - test.mean(dim=0)\n"
                "    return ((y @ top @ top.T - y) ** 2).mean().item()", "not their own")),
        correct_message="d = 0 is the mean-image baseline, and d = D reconstructs exactly.",
    ),
]
