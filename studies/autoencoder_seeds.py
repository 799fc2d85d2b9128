"""Chapter 8's plain and denoising autoencoders over several seeds, exactly as the chapter trains them.

Chapter 8 trains its compact convolutional autoencoder (6 epochs), its denoising autoencoder (4 epochs, noise
of standard deviation 0.4) and probes the codes of both with the book's linear probe
(``nbcode.metrics.linear_probe``) once, with the chapter's seed. This study repeats those
cells in their order (same data split, seeding, models, loop and settings) for each seed and records the
test MSEs of both models at each noise level the chapter tries, the linear probes' test accuracies on clean
and noisy codes, the smallest noise level at which the denoiser wins, and the gaps the chapter's tests check.
It leaves out what does not depend on the seed or is not measured (the PCA and mean-image baselines, the
probe on raw pixels, which is the study fashion_pixel_probe, the t-SNE map and the figures). Seed 0 is the chapter's own run (GLUE).

One seed costs about 140 seconds on one core of the recording machine (2 cores, the other one busy); the
recording of 2026-12-07 took 361-404 s per seed, with two other jobs sharing the two cores. So the study has
five seeds (seeds 0-4), as the chapter says.
"""

import torch
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.nn import functional as F

import nbcode
from nbcode.data import load_fashion_mnist
from nbcode.metrics import linear_probe
from nbcode.train import evaluate, fit, predict

CHAPTER = "08_autoencoder"
# The chapter's cpu-default parameters (booktools.variants, 08_autoencoder, cpu); subset None is the whole data set.
SETTINGS = {"code_size": 32, "epochs": 6, "denoising_epochs": 4, "batch_size": 128, "learning_rate": 2e-3,
            "noise_std": 0.4, "subset": None}
# Every setting is the chapter parameter of the same name (the tests compare them).
PARAMETERS = {name: name for name in SETTINGS}
SEEDS = list(range(5))
# The chapter's smoke variant (booktools.variants, 08_autoencoder, smoke), so --smoke measures its ranges.
SMOKE = {"epochs": 2, "denoising_epochs": 2, "batch_size": 32, "subset": 3000}
# Glued names of the chapter -> this study's keys; every key is named as the chapter glues it.
GLUE = {name: name for name in (
    "ae_test_mse", "ae_probe_test_acc", "plain_on_noisy_mse", "dae_test_mse", "dae_clean_mse",
    "plain_weak_noise_mse", "dae_weak_noise_mse", "dae_crossover_std", "dae_probe_test_acc",
    "ae_probe_noisy_acc", "dae_probe_noisy_acc", "dae_clean_mse_gap", "dae_probe_clean_gap",
    "dae_probe_noisy_gap")}

LEVELS_EXTRA = (0.0, 0.1, 0.2, 0.8)  # the noise levels the chapter tries besides noise_std


def make_autoencoder(code_size, device):
    """The chapter's compact convolutional autoencoder (its make_autoencoder)."""
    encoder = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 7 * 7, code_size),
    )
    decoder = nn.Sequential(
        nn.Linear(code_size, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, kernel_size=4, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, kernel_size=4, stride=2, padding=1), nn.Sigmoid(),
    )
    return nn.Sequential(encoder, decoder).to(device, memory_format=torch.channels_last)


class GaussianNoise(nn.Module):
    """The chapter's noise layer: fresh noise on every training batch, the identity in evaluation mode."""

    def __init__(self, std):
        super().__init__()
        self.std = std

    def forward(self, x):
        return x + self.std * torch.randn_like(x) if self.training else x


def load(seed, subset=None):
    """The chapter's set-up and data: (device, images, labels) by split."""
    device = nbcode.setup(seed, "auto")
    fashion = load_fashion_mnist(val_size=5000, subset=subset, device=device)
    splits = dict(zip(("train", "val", "test"), (fashion.train, fashion.val, fashion.test)))
    return device, {n: s.tensors[0] for n, s in splits.items()}, {n: s.tensors[1] for n, s in splits.items()}


def train_autoencoder(seed, images, device, code_size, epochs, batch_size, learning_rate):
    """The chapter's plain autoencoder, seeded and trained as its cells do."""
    torch.manual_seed(seed)
    autoencoder = make_autoencoder(code_size, device)
    optimizer = torch.optim.Adam(autoencoder.parameters(), lr=learning_rate)
    fit(autoencoder, F.mse_loss, optimizer, (images["train"], images["train"]), (images["val"], images["val"]),
        epochs=epochs, batch_size=batch_size, progress=False)
    return autoencoder


def train_denoiser(seed, images, device, code_size, epochs, batch_size, learning_rate, noise_std):
    """The chapter's denoising autoencoder, with its noisy validation split."""
    torch.manual_seed(seed)
    denoiser = make_autoencoder(code_size, device)
    optimizer = torch.optim.Adam(denoiser.parameters(), lr=learning_rate)
    val_noise = torch.randn(images["val"].shape, device=device,
                            generator=torch.Generator(device).manual_seed(seed + 1))
    noisy_val = (images["val"] + noise_std * val_noise, images["val"])
    fit(nn.Sequential(GaussianNoise(noise_std), denoiser), F.mse_loss, optimizer,
        (images["train"], images["train"]), noisy_val, epochs=epochs, batch_size=batch_size, progress=False)
    return denoiser


def probe_codes(codes, labels):
    """The chapter's probe_codes: the book's linear probe on standardised codes, and the standardiser."""
    features = {name: x.cpu().numpy() for name, x in codes.items()}
    scaler = StandardScaler().fit(features["train"])
    return linear_probe({name: scaler.transform(x) for name, x in features.items()}, labels), scaler


def test_accuracy(probe, scaler, test_codes, labels):
    """The chapter's test_accuracy: the probe's accuracy on the test images whose codes are test_codes."""
    return float((probe["model"].predict(scaler.transform(test_codes.cpu().numpy())) == labels["test"]).mean())


def encode(encoder, images, labels):
    with torch.no_grad():
        return {name: predict(encoder, (split, labels[name]))[0] for name, split in images.items()}


def run(seed, code_size, epochs, denoising_epochs, batch_size, learning_rate, noise_std, subset):
    device, images, labels = load(seed, subset)
    numpy_labels = {name: y.cpu().numpy() for name, y in labels.items()}

    autoencoder = train_autoencoder(seed, images, device, code_size, epochs, batch_size, learning_rate)
    ae_test_mse = evaluate(autoencoder, (images["test"], images["test"]), F.mse_loss)["loss"]
    codes = encode(autoencoder[0], images, labels)
    ae_probe, ae_scaler = probe_codes(codes, numpy_labels)
    ae_probe_test_acc = ae_probe["test"]

    denoiser = train_denoiser(seed, images, device, code_size, denoising_epochs, batch_size, learning_rate,
                              noise_std)
    noise = torch.randn(images["test"].shape, device=device, generator=torch.Generator(device).manual_seed(seed))
    levels = sorted({*LEVELS_EXTRA, noise_std})
    mse = {}
    for level in levels:
        noisy = images["test"] + level * noise
        mse[level] = {name: evaluate(model, (noisy, images["test"]), F.mse_loss)["loss"]
                      for name, model in (("plain", autoencoder), ("denoiser", denoiser))}
    noisy_test = images["test"] + noise_std * noise
    with torch.no_grad():
        noisy_codes = {name: predict(model[0], (noisy_test, labels["test"]))[0]
                       for name, model in (("plain", autoencoder), ("denoiser", denoiser))}
    dae_codes = encode(denoiser[0], images, labels)
    dae_probe, dae_scaler = probe_codes(dae_codes, numpy_labels)
    probe_acc = {"plain": (ae_probe_test_acc, test_accuracy(ae_probe, ae_scaler, noisy_codes["plain"], numpy_labels)),
                 "denoiser": (dae_probe["test"],
                              test_accuracy(dae_probe, dae_scaler, noisy_codes["denoiser"], numpy_labels))}
    values = {
        "ae_test_mse": ae_test_mse, "ae_probe_test_acc": ae_probe_test_acc,
        "plain_on_noisy_mse": mse[noise_std]["plain"], "dae_test_mse": mse[noise_std]["denoiser"],
        "dae_clean_mse": mse[0.0]["denoiser"],
        "plain_weak_noise_mse": mse[0.1]["plain"], "dae_weak_noise_mse": mse[0.1]["denoiser"],
        "plain_mse_0.2": mse[0.2]["plain"], "dae_mse_0.2": mse[0.2]["denoiser"],
        "plain_mse_0.8": mse[0.8]["plain"], "dae_mse_0.8": mse[0.8]["denoiser"],
        "dae_probe_test_acc": probe_acc["denoiser"][0], "ae_probe_noisy_acc": probe_acc["plain"][1],
        "dae_probe_noisy_acc": probe_acc["denoiser"][1],
        "dae_clean_mse_gap": mse[0.0]["denoiser"] - mse[0.0]["plain"],
        "dae_probe_clean_gap": probe_acc["plain"][0] - probe_acc["denoiser"][0],
        "dae_probe_noisy_gap": probe_acc["denoiser"][1] - probe_acc["plain"][1],
    }
    values = {key: round(value, 4) for key, value in values.items()}  # as the chapter glues them
    # None where the denoiser wins at no level tried.
    values["dae_crossover_std"] = min((level for level in levels if mse[level]["denoiser"] < mse[level]["plain"]),
                                      default=None)
    return values
