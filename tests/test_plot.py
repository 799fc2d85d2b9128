import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nbcode import plot  # noqa: E402
from nbcode.train import History  # noqa: E402


def test_history_plot_has_one_panel_per_quantity_with_both_phases():
    history = History(epochs=[{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_acc": 0.5, "val_acc": 0.6}
                              for e in (1, 2, 3)], best_epoch=3)
    fig = history.plot()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "acc"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["training", "validation", "best epoch"]
    plt.close(fig)


def test_activation_plot_shows_functions_and_derivatives():
    fig = plot.plot_activations({"sigmoid": torch.sigmoid})
    slope = fig.axes[1].lines[0].get_ydata()
    assert max(slope) == pytest.approx(0.25, abs=1e-4)
    plt.close(fig)


def test_image_grid_shapes_and_errors():
    fig = plot.image_grid(torch.rand(10, 1, 28, 28), titles=list("abcdefghij"), ncols=4)
    assert len(fig.axes) == 12 and fig.axes[0].get_title() == "a"
    plt.close(fig)
    with pytest.raises(ValueError, match="shape"):
        plot.image_grid(torch.rand(28, 28))
    with pytest.raises(ValueError, match="3 titles for 2 images"):
        plot.image_grid(torch.rand(2, 28, 28), titles=["a", "b", "c"])
