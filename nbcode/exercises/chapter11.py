"""Chapter 11, generative adversarial networks: the checked exercises."""

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F

from . import Exercise, NotQuite, NotAttempted, ___, as_number, function, number, tensor

SETUP = ("import copy\nimport math\nimport scipy.linalg\nimport torch\nfrom torch import nn\n"
         "from torch.nn import functional as F\n")


def _close(got, want, rtol=1e-4, atol=1e-6):
    """Whether two tensors (or numbers) agree in shape and value; False for anything that cannot be compared."""
    try:
        got, want = torch.as_tensor(got).detach().double().cpu(), torch.as_tensor(want).detach().double().cpu()
    except (TypeError, ValueError, RuntimeError):
        return False
    return got.shape == want.shape and bool(torch.allclose(got, want, rtol=rtol, atol=atol))


def _not_attempted(candidate):
    if candidate is ___:
        raise NotAttempted
    if not callable(candidate):
        raise NotQuite(f"your answer should be a function; it is {type(candidate).__name__}.")


# Exercise 4: the distance from each image to its nearest training image.

def _reference_nearest(images, references):
    differences = images.flatten(1).double()[:, None, :] - references.flatten(1).double()[None, :, :]
    return differences.square().sum(dim=2).sqrt().min(dim=1).values


def _nearest_cases():
    generator = torch.Generator().manual_seed(11)
    cases = []
    for n_images, n_references, size in ((6, 40, 5), (1, 30, 4), (250, 30, 3)):
        cases.append((f"{n_images} images and {n_references} references of 1x{size}x{size}",
                      (torch.randn(n_images, 1, size, size, generator=generator, dtype=torch.float64),
                       torch.randn(n_references, 1, size, size, generator=generator, dtype=torch.float64))))
    references = torch.randn(50, 1, 6, 6, generator=generator, dtype=torch.float64)
    copies = torch.cat([references[[7, 31]], torch.randn(3, 1, 6, 6, generator=generator, dtype=torch.float64)])
    cases.append(("5 images, the first two copies of references (distance 0)", (copies, references)))
    return cases


def _check_nearest_distance(nearest_distance):
    _not_attempted(nearest_distance)

    def checked(images, references):
        result = nearest_distance(images, references)
        if isinstance(result, torch.return_types.min):
            raise NotQuite("nearest_distance returned the pair (values, indices) that .min(dim=...) gives; "
                           "the distances are its .values.")
        want = _reference_nearest(images, references)
        if torch.is_tensor(result) and not (result.is_floating_point() or result.is_complex()):
            raise NotQuite(f"nearest_distance returned integers for {len(images)} images: indices of the nearest "
                           "references? The distances are the minimum values themselves.")
        if torch.is_tensor(result) and _close(result, want.square()):
            raise NotQuite(f"nearest_distance returned squared distances for {len(images)} images: "
                           "the Euclidean distance is the square root of the sum of squares.")
        if torch.is_tensor(result) and result.shape == (len(references),):
            raise NotQuite(f"nearest_distance returned one number per reference ({len(references)}) instead of one "
                           f"per image ({len(images)}): take the minimum over the references.")
        return result

    function(checked, _reference_nearest, _nearest_cases(), name="nearest_distance", rtol=1e-5, atol=1e-6)


# Exercise 5: the two losses, from logits.

def _bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits.double(), torch.full_like(logits.double(), target))


def _reference_losses(real_logits, fake_logits):
    return _bce(real_logits, 1.0) + _bce(fake_logits, 0.0), _bce(fake_logits, 1.0)


def _loss_cases():
    generator = torch.Generator().manual_seed(12)
    return [(f"{description} ({size} real and {size} fake logits)",
             (scale * torch.randn(size, 1, generator=generator) + shift,
              scale * torch.randn(size, 1, generator=generator) - shift))
            for description, size, scale, shift in (("random logits", 32, 2.0, 0.0),
                                                    ("an odd batch", 7, 3.0, 1.0),
                                                    ("a batch of one", 1, 1.0, 0.5))]


def _losses_of(gan_losses, real_logits, fake_logits, description):
    try:
        result = gan_losses(real_logits, fake_logits)
    except (NotQuite, NotAttempted):
        raise
    except Exception as error:
        raise NotQuite(f"gan_losses raised {type(error).__name__} for {description}: {error}") from None
    if result is ___ or (isinstance(result, tuple) and any(value is ___ for value in result)):
        raise NotAttempted
    if not isinstance(result, tuple) or len(result) != 2:
        raise NotQuite(f"gan_losses should return two losses, (loss_d, loss_g); for {description} it returned "
                       f"{type(result).__name__}.")
    return result


def _check_gan_losses(gan_losses):
    _not_attempted(gan_losses)
    for description, (real, fake) in _loss_cases():
        loss_d, loss_g = _losses_of(gan_losses, real.clone(), fake.clone(), description)
        want_d, want_g = _reference_losses(real, fake)
        if _close(loss_d, want_g) and _close(loss_g, want_d):
            raise NotQuite(f"gan_losses returned the right values in the wrong order for {description}: (loss_d, loss_g).")
        if not _close(loss_d, want_d):
            if _close(loss_d, _bce(real, 0.0) + _bce(fake, 1.0)):
                raise NotQuite(f"loss_d for {description} labels the real images 0 and the fakes 1: the discriminator "
                               "should call real images real.")
            if _close(loss_d, len(real) * want_d):
                raise NotQuite(f"loss_d for {description} is the sum over the batch; the chapter's losses are means.")
            if _close(loss_d, _bce(real, 1.0)) or _close(loss_d, _bce(fake, 0.0)):
                raise NotQuite(f"loss_d for {description} has only one of its two terms: the discriminator is scored "
                               "on the real images and on the fakes.")
            if _close(loss_d, want_d / 2):
                raise NotQuite(f"loss_d for {description} is the mean over the real and fake images together, half "
                               "the sum of the two batch means. That is a convention, not an error (with Adam, which "
                               "divides by the gradients' scale, it changes the updates very little), but the "
                               "chapter's loop, and this exercise, add the two means.")
            tensor(loss_d, want_d, name=f"loss_d for {description}")
        if not _close(loss_g, want_g):
            if _close(loss_g, -_bce(fake, 0.0)):
                raise NotQuite(f"loss_g for {description} is the minimax loss log(1 - D(G(z))), which saturates where "
                               "the discriminator rejects the fakes; the generator here uses the non-saturating one.")
            if _close(loss_g, _bce(fake, 0.0)):
                raise NotQuite(f"loss_g for {description} labels the fakes 0, as the discriminator does: minimising it "
                               "would make the generator's images easier to reject.")
            if _close(loss_g, len(fake) * want_g):
                raise NotQuite(f"loss_g for {description} is the sum over the batch; the chapter's losses are means.")
            tensor(loss_g, want_g, name=f"loss_g for {description}")
    _check_loss_gradients(gan_losses)
    # Far beyond where any probability is representable in float32: the losses must still be exact.
    real, fake = torch.tensor([[-200.0], [3.0], [120.0]]), torch.tensor([[200.0], [-3.0], [-150.0]])
    description = "confident logits of magnitude 120 to 200"
    loss_d, loss_g = _losses_of(gan_losses, real.clone(), fake.clone(), description)
    want_d, want_g = _reference_losses(real, fake)
    for name, got, want in (("loss_d", loss_d, want_d), ("loss_g", loss_g, want_g)):
        tensor(got, want, name=f"{name} for {description}")


def _check_loss_gradients(gan_losses):
    # The logits where Sigmoid + BCELoss loses the gradient: below -27.6 with target 1, above 16.6 with target 0.
    real = torch.tensor([[-40.0], [-10.0], [0.0], [4.0]])
    fake = torch.tensor([[-40.0], [-3.0], [0.5], [20.0]])
    description = "logits from -40 to 20"
    for loss_index, name, inputs in ((0, "loss_d", ("real", "fake")), (1, "loss_g", ("fake",))):
        real_leaf, fake_leaf = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
        loss = _losses_of(gan_losses, real_leaf, fake_leaf, description)[loss_index]
        if not torch.is_tensor(loss) or not loss.requires_grad:
            raise NotQuite(f"{name} for {description} carries no gradient: return tensors computed from the logits "
                           "(no .item(), no detach), so that backward() can reach the networks.")
        leaves = {"real": real_leaf, "fake": fake_leaf}
        gradients = torch.autograd.grad(loss.sum(), [leaves[which] for which in inputs], allow_unused=True)
        reference_real, reference_fake = real.double().requires_grad_(True), fake.double().requires_grad_(True)
        reference = _reference_losses(reference_real, reference_fake)[loss_index]
        references = dict(zip(("real", "fake"), torch.autograd.grad(reference, [reference_real, reference_fake],
                                                                    allow_unused=True)))
        for which, got in zip(inputs, gradients):
            want = references[which]
            got = torch.zeros_like(want) if got is None else got.double()
            wrong = ~torch.isclose(got, want, rtol=1e-3, atol=1e-7)
            if wrong.any():
                i = int(wrong.nonzero()[0, 0])
                logit = leaves[which][i, 0].item()
                raise NotQuite(f"The gradient of {name} with respect to the {which} logit {logit:g} is {got[i, 0]:.3g}, "
                               f"where the exact one is {want[i, 0]:.3g}: the loss loses its gradient for confident "
                               "logits.")


# Exercise 6: the moving average of the generator's weights and buffers.

def _ema_model(generator):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    _perturb(model, generator, 0)
    return model


def _perturb(model, generator, step):
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.rand(value.shape, generator=generator) + (1.0 if "running_var" in name else -0.5))
            else:
                value.fill_(10 * step + 7)  # num_batches_tracked: a counter


def _reference_ema(averaged, model, decay):
    with torch.no_grad():
        for mean, current in zip(averaged.state_dict().values(), model.state_dict().values()):
            if mean.is_floating_point():
                mean.lerp_(current, 1 - decay)
            else:
                mean.copy_(current)


def _run_ema(update, decay, steps=3):
    """Apply ``update`` for ``steps`` steps to a fresh average; return the initial state, the final state and whether
    ``update`` left the current model as it was."""
    generator = torch.Generator().manual_seed(13)
    model = _ema_model(generator)
    averaged = copy.deepcopy(model).requires_grad_(False)
    initial = copy.deepcopy(averaged.state_dict())
    model_kept = True
    for step in range(1, steps + 1):
        _perturb(model, generator, step)
        before = copy.deepcopy(model.state_dict())
        if update(averaged, model, decay) is ___:
            raise NotAttempted
        model_kept &= all(torch.equal(before[name], value) for name, value in model.state_dict().items())
    return initial, averaged.state_dict(), model_kept


def _check_ema_update(ema_update):
    _not_attempted(ema_update)
    decay = 0.9
    try:
        initial, got, model_kept = _run_ema(ema_update, decay)
    except (NotQuite, NotAttempted):
        raise
    except Exception as error:
        counter = " num_batches_tracked is an integer counter, which cannot be averaged: copy it." \
            if "Long" in str(error) else ""
        raise NotQuite(f"ema_update raised {type(error).__name__}: {error}.{counter}") from None
    _, want, _ = _run_ema(_reference_ema, decay)
    _, swapped, _ = _run_ema(_reference_ema, 1 - decay)
    if not model_kept:
        raise NotQuite("ema_update changed the current model: only the averaged copy should change.")
    wrong = [name for name in want if not _close(got[name], want[name], rtol=1e-5, atol=1e-7)]
    if not wrong:
        return
    if all(torch.equal(got[name], initial[name]) for name in want):
        raise NotQuite("After three updates the averaged model is unchanged: change its tensors in place "
                       "(for example with lerp_ or copy_), since assigning to a name does not change the model.")
    if all(_close(got[name], swapped[name], rtol=1e-5, atol=1e-7) for name in wrong):
        raise NotQuite(f"With decay = {decay} the average moved {decay:.0%} of the way to the current weights at each "
                       f"step instead of {1 - decay:.0%}: decay is the weight of the past.")
    for name in wrong:
        if torch.equal(got[name], initial[name]):
            kind = "counter" if not want[name].is_floating_point() else "entry"
            fix = "copy it from the current model" if kind == "counter" else "average it as well"
            raise NotQuite(f"The {kind} {name} of the state dict was left as it was: {fix}.")
    name = wrong[0]
    tensor(got[name], want[name], name=f"the averaged {name} after three updates", rtol=1e-5, atol=1e-7)


# Exercise 7: the Frechet distance between two Gaussians.

def _root_trace(cov_a, cov_b):
    values, vectors = torch.linalg.eigh(cov_a)
    root_a = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T
    return torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()


def _reference_frechet(mean_a, cov_a, mean_b, cov_b):
    means = (mean_a - mean_b).square().sum()
    return (means + cov_a.trace() + cov_b.trace() - 2 * _root_trace(cov_a, cov_b)).item()


def _frechet_variants(mean_a, cov_a, mean_b, cov_b):
    """Typical wrong formulas, each with what it gets wrong."""
    means = (mean_a - mean_b).square().sum()
    traces = cov_a.trace() + cov_b.trace()
    root = _root_trace(cov_a, cov_b)
    return (
        (means.item(), "it is the squared distance between the means alone: the covariances' trace term is missing."),
        ((means + traces - 2 * (cov_a @ cov_b).trace()).item(),
         "it uses the product of the covariances where the formula takes that product's matrix square root."),
        ((means + traces - root).item(), "the trace of the root enters the formula twice (-2 Tr)."),
        ((means + traces - 2 * (cov_a @ cov_b).trace().clamp(min=0).sqrt()).item(),
         "it takes the square root of the trace; the formula needs the trace of the matrix square root."),
        ((means.sqrt() + traces - 2 * root).item(), "the distance between the means enters squared."),
        ((means + traces - 2 * (cov_a @ cov_b).diagonal().sqrt().sum()).item(),
         "the square root is taken entry by entry (torch.sqrt); the formula needs the square root of a matrix."),
    )


def _spd(generator, dim, rank=None):
    factor = torch.randn(dim, rank or dim + 2, generator=generator, dtype=torch.float64)
    return factor @ factor.T / factor.shape[1]


def _frechet_cases():
    generator = torch.Generator().manual_seed(14)
    mean = lambda dim: torch.randn(dim, generator=generator, dtype=torch.float64)  # noqa: E731
    cases = [("two Gaussians in 1 dimension", (mean(1), _spd(generator, 1), mean(1), _spd(generator, 1)))]
    for dim in (3, 8):
        cases.append((f"two Gaussians in {dim} dimensions with full-rank covariances",
                      (mean(dim), _spd(generator, dim), mean(dim), _spd(generator, dim))))
    same_mean, same_cov = mean(5), _spd(generator, 5)
    cases.append(("a Gaussian in 5 dimensions and itself (distance 0)", (same_mean, same_cov, same_mean, same_cov.clone())))
    cases.append(("singular covariances in 10 dimensions, of rank 2 and 3 (as with features that barely vary)",
                  (mean(10), _spd(generator, 10, rank=2), mean(10), _spd(generator, 10, rank=3))))
    return cases


def _check_frechet(frechet):
    _not_attempted(frechet)
    for description, arguments in _frechet_cases():
        want = _reference_frechet(*arguments)
        try:
            got = frechet(*[argument.clone() for argument in arguments])
        except (NotQuite, NotAttempted):
            raise
        except Exception as error:
            raise NotQuite(f"frechet_distance_gaussians raised {type(error).__name__} for {description}: {error}") from None
        if got is ___:
            raise NotAttempted
        if got is None:
            raise NotQuite(f"frechet_distance_gaussians returned None for {description}: is a `return` missing?")
        if (torch.is_tensor(got) and got.is_complex()) or isinstance(got, complex) or "complex" in type(got).__name__:
            raise NotQuite(f"frechet_distance_gaussians returned a complex number for {description}: the distance is real, and "
                           "a general matrix square root can leave tiny imaginary parts from rounding.")
        value = as_number(got, name=f"the distance for {description}")
        if math.isnan(value):
            if "singular" in description:
                raise NotQuite(f"The distance is nan for {description}: rounding leaves some of their zero "
                               "eigenvalues slightly below 0, and the square root of a negative number is nan.")
            raise NotQuite(f"The distance is nan for {description}: is the square root taken entry by entry? "
                           "The formula needs the square root of a matrix.")
        if not math.isclose(value, want, rel_tol=1e-5, abs_tol=1e-5):
            for wrong, message in _frechet_variants(*arguments):
                if math.isclose(value, wrong, rel_tol=1e-5, abs_tol=1e-5):
                    raise NotQuite(f"For {description} {message}")
        number(value, want, name=f"the distance for {description}", rel=1e-5, abs=1e-5)


EXERCISES = [
    Exercise(
        chapter=11, number=4, names=("nearest_distance",), checker=_check_nearest_distance,
        hints=("Flatten every image to a vector of pixels (.flatten(1)); torch.cdist(a, b) gives the Euclidean "
               "distance of every row of a to every row of b.",
               "cdist gives a matrix (images x references); each image's nearest reference is the minimum of its row: "
               ".min(dim=1).values. For 1,000 images against 55,000 references, do it in chunks of images "
               "(images.split(100)) and torch.cat the results."),
        solution_code="""
def nearest_distance(images, references):
    return torch.cat([torch.cdist(chunk.flatten(1), references.flatten(1)).min(dim=1).values
                      for chunk in images.split(100)])
""",
        placeholder="""
def nearest_distance(images, references):
    return ___  # for each image, the distance to its nearest reference
""",
        wrong=(("def nearest_distance(images, references):\n"
                "    return torch.cdist(images.flatten(1), references.flatten(1)).min(dim=1)",
                "(values, indices)"),
               ("def nearest_distance(images, references):\n"
                "    return torch.cdist(images.flatten(1), references.flatten(1)).square().min(dim=1).values",
                "squared distances"),
               ("def nearest_distance(images, references):\n"
                "    return torch.cdist(images.flatten(1), references.flatten(1)).min(dim=0).values",
                "one number per reference")),
        correct_message="Each image's distance to its nearest reference; a copy is at distance 0.",
    ),
    Exercise(
        chapter=11, number=5, names=("gan_losses",), checker=_check_gan_losses,
        hints=("Each loss is binary cross-entropy on logits, with target 1 for 'real' and 0 for 'fake': "
               "F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)) and likewise with zeros_like.",
               "loss_d scores the real logits against 1 and the fake ones against 0, and adds the two; the "
               "non-saturating loss_g scores the fake logits against 1. Never pass through torch.sigmoid: "
               "a probability rounded to 0 or 1 has lost the gradient."),
        solution_code="""
def gan_losses(real_logits, fake_logits):
    loss_d = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
              + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    loss_g = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))  # fakes labelled real
    return loss_d, loss_g
""",
        placeholder="""
def gan_losses(real_logits, fake_logits):
    loss_d = ___  # the discriminator's loss: real images are real, fakes are fake
    loss_g = ___  # the generator's non-saturating loss
    return loss_d, loss_g
""",
        wrong=(("def gan_losses(real_logits, fake_logits):\n"
                "    bce = nn.BCELoss()\n"
                "    real, fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)\n"
                "    loss_d = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))\n"
                "    return loss_d, bce(fake, torch.ones_like(fake))",
                "loses its gradient for confident logits"),
               ("def gan_losses(real_logits, fake_logits):\n"
                "    loss_d = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
                "              + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))\n"
                "    return loss_d, -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))",
                "minimax loss"),
               ("def gan_losses(real_logits, fake_logits):\n"
                "    loss_d = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
                "              + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))\n"
                "    return loss_d, F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))",
                "labels the fakes 0"),
               ("def gan_losses(real_logits, fake_logits):\n"
                "    loss_d = (F.binary_cross_entropy_with_logits(real_logits, torch.zeros_like(real_logits))\n"
                "              + F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)))\n"
                "    return loss_d, F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))",
                "labels the real images 0"),
               ("def gan_losses(real_logits, fake_logits):\n"
                "    logits = torch.cat([real_logits, fake_logits])\n"
                "    targets = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])\n"
                "    loss_d = F.binary_cross_entropy_with_logits(logits, targets)\n"
                "    return loss_d, F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))",
                "is a convention, not an error")),
        correct_message="Both losses come from the logits, so they keep their gradient at any logit.",
    ),
    Exercise(
        chapter=11, number=6, names=("ema_update",), checker=_check_ema_update,
        hints=("The update is averaged <- decay * averaged + (1 - decay) * current, for every floating-point tensor "
               "of the state dict (weights, biases and batch norm's running statistics), in place.",
               "Walk through averaged.state_dict().values() and model.state_dict().values() together, inside "
               "torch.no_grad(); mean.lerp_(current, 1 - decay) is the update. The integer counter "
               "num_batches_tracked cannot be averaged: copy it (mean.copy_(current))."),
        solution_code="""
def ema_update(averaged, model, decay):
    with torch.no_grad():
        for mean, current in zip(averaged.state_dict().values(), model.state_dict().values()):
            if mean.is_floating_point():
                mean.lerp_(current, 1 - decay)  # decay * mean + (1 - decay) * current
            else:
                mean.copy_(current)  # num_batches_tracked, a counter
""",
        placeholder="""
def ema_update(averaged, model, decay):
    return ___  # replace this line: move every tensor of averaged's state towards model's, in place
""",
        wrong=(("def ema_update(averaged, model, decay):\n"
                "    with torch.no_grad():\n"
                "        for mean, current in zip(averaged.state_dict().values(), model.state_dict().values()):\n"
                "            if mean.is_floating_point():\n"
                "                mean.lerp_(current, decay)\n"
                "            else:\n"
                "                mean.copy_(current)",
                "decay is the weight of the past"),
               ("def ema_update(averaged, model, decay):\n"
                "    with torch.no_grad():\n"
                "        for mean, current in zip(averaged.parameters(), model.parameters()):\n"
                "            mean.lerp_(current, 1 - decay)",
                "running_mean of the state dict was left as it was"),
               ("def ema_update(averaged, model, decay):\n"
                "    with torch.no_grad():\n"
                "        for mean, current in zip(averaged.state_dict().values(), model.state_dict().values()):\n"
                "            mean.lerp_(current, 1 - decay)",
                "integer counter"),
               ("def ema_update(averaged, model, decay):\n"
                "    for mean, current in zip(averaged.state_dict().values(), model.state_dict().values()):\n"
                "        mean = decay * mean + (1 - decay) * current",
                "unchanged")),
        correct_message="The averaged copy follows the weights and the running statistics; its counter is copied.",
    ),
    Exercise(
        chapter=11, number=7, names=("frechet_distance_gaussians",), checker=_check_frechet,
        hints=("The distance is |mean_a - mean_b|^2 + Tr(cov_a + cov_b - 2 (cov_a^(1/2) cov_b cov_a^(1/2))^(1/2)): "
               "a square root of a matrix, not of its entries (torch.sqrt works entry by entry).",
               "Only the trace of the last root is needed, and it is the sum of the square roots of the eigenvalues "
               "of the symmetric matrix cov_a^(1/2) cov_b cov_a^(1/2) (torch.linalg.eigvalsh). cov_a^(1/2) comes "
               "from torch.linalg.eigh(cov_a). Rounding can make eigenvalues that should be 0 slightly negative: "
               "clamp them at 0 before the square root."),
        solution_code="""
def frechet_distance_gaussians(mean_a, cov_a, mean_b, cov_b):
    values, vectors = torch.linalg.eigh(cov_a)
    root_a = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T  # cov_a^(1/2)
    root_values = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0)  # rounding's negatives count as 0
    trace_of_root = root_values.sqrt().sum()
    return ((mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * trace_of_root).item()
""",
        placeholder="""
def frechet_distance_gaussians(mean_a, cov_a, mean_b, cov_b):
    return ___  # the Frechet distance between N(mean_a, cov_a) and N(mean_b, cov_b)
""",
        wrong=(("def frechet_distance_gaussians(mean_a, cov_a, mean_b, cov_b):\n"
                "    return ((mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace()\n"
                "            - 2 * torch.sqrt(cov_a @ cov_b).trace()).item()",
                "entry by entry"),
               ("def frechet_distance_gaussians(mean_a, cov_a, mean_b, cov_b):\n"
                "    return (mean_a - mean_b).square().sum().item()",
                "trace term is missing"),
               ("def frechet_distance_gaussians(mean_a, cov_a, mean_b, cov_b):\n"
                "    values, vectors = torch.linalg.eigh(cov_a)\n"
                "    root_a = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T\n"
                "    trace_of_root = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).sqrt().sum()\n"
                "    return ((mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * trace_of_root).item()",
                "slightly below 0"),
               ("def frechet_distance_gaussians(mean_a, cov_a, mean_b, cov_b):\n"
                "    return ((mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace()\n"
                "            - 2 * (cov_a @ cov_b).trace().sqrt()).item()",
                "square root of the trace")),
        correct_message="The means' distance plus the trace term, with the square root of a matrix.",
    ),
]
