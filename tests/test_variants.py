"""Parameterised runs of the chapters with papermill."""

import json

import pytest
import torch

from nbcode import variants


@pytest.mark.parametrize("chapter", list(variants.VARIANTS))
def test_smoke_variant_runs_and_clears_its_thresholds(chapter, tmp_path):
    assert variants.main(["--profile", "smoke", "--out", str(tmp_path), chapter]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    result = summary["chapters"][chapter]
    assert result["parameters"] == variants.VARIANTS[chapter]["smoke"] and result["values"]
    assert chapter in (tmp_path / "summary.md").read_text()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the gpu profile needs a CUDA GPU")
@pytest.mark.parametrize("chapter", list(variants.VARIANTS))
def test_gpu_variant(chapter, tmp_path):
    assert variants.main(["--profile", "gpu", "--out", str(tmp_path), chapter]) == 0


def test_unknown_profile_chapter_or_parameter_is_an_error(monkeypatch):
    with pytest.raises(variants.VariantError, match="Unknown profile 'tpu'"):
        variants.plan("tpu")
    with pytest.raises(variants.VariantError, match="Unknown chapter.*99_nothing"):
        variants.plan("smoke", ["99_nothing"])
    monkeypatch.setitem(variants.VARIANTS["01_neuron"], "smoke", {"epohcs": 1})
    with pytest.raises(variants.VariantError, match="no parameter.*epohcs.*declares seed, device"):
        variants.plan("smoke", ["01_neuron"])


def test_command_line_errors_exit_with_a_message(capsys, tmp_path):
    with pytest.raises(SystemExit):
        variants.main(["--profile", "huge", "--out", str(tmp_path)])
    assert "Unknown profile 'huge'" in capsys.readouterr().err


def test_values_out_of_range_or_missing_are_reported():
    good = {"neuron_test_acc": 0.97, "moons_hidden_acc": 0.98, "moons_neuron_acc": 0.9}
    assert variants.check_values("01_neuron", "cpu", good) == []
    assert "outside [0.95, 1.0]" in variants.check_values("01_neuron", "cpu", good | {"neuron_test_acc": 0.9})[0]
    # An upper end can fail too: a single neuron that separates two moons would mean the chapter changed.
    assert "outside [0.8, 0.93]" in variants.check_values("01_neuron", "cpu", good | {"moons_neuron_acc": 0.99})[0]
    assert "not glued" in variants.check_values("01_neuron", "cpu", {})[0]
