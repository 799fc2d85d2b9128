"""Parameterised runs of the chapters with papermill, and the headline ranges they are checked against."""

import json
import re
import runpy
import sys

import nbformat
import papermill
import pytest
import torch

from booktools import variants


@pytest.mark.parametrize("chapter", list(variants.VARIANTS))
def test_smoke_variant_runs_and_clears_its_thresholds(chapter, tmp_path):
    assert variants.main(["--profile", "smoke", "--out", str(tmp_path), chapter]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    result = summary["chapters"][chapter]
    # What the executed notebook ran with: its defaults (the cpu profile), overridden by the smoke profile's.
    assert result["parameters"] == variants.VARIANTS[chapter]["cpu"] | variants.VARIANTS[chapter]["smoke"]
    assert result["values"]
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


def _execution_that_glues(values):
    """A stand-in for papermill's execution: the executed notebook only glues ``values``, as nbcode.glue would."""
    def execute_notebook(input_path, output_path, **options):
        prefix = "application/papermill.record/"
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data", data={f"{prefix}text/plain": repr(value)},
                                               metadata={"scrapbook": {"mime_prefix": prefix, "name": name}})
                        for name, value in values.items()]
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), output_path)
    return execute_notebook


@pytest.mark.parametrize("neuron_test_acc, status", [(0.97, 0), (0.5, 1)], ids=["in_range", "out_of_range"])
def test_the_command_exits_1_when_a_headline_value_leaves_its_range(neuron_test_acc, status, monkeypatch, tmp_path):
    values = {"neuron_test_acc": neuron_test_acc, "moons_hidden_acc": 0.98, "moons_neuron_acc": 0.9}
    monkeypatch.setattr(papermill, "execute_notebook", _execution_that_glues(values))
    monkeypatch.setattr(sys, "argv", ["booktools.variants", "--profile", "smoke", "--out", str(tmp_path), "01_neuron"])
    # Run as `python -m booktools.variants` is, in a fresh copy of the module (unimported first, so runpy does not warn).
    monkeypatch.delitem(sys.modules, "booktools.variants")
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("booktools.variants", run_name="__main__")
    assert exited.value.code == status


def test_values_out_of_range_or_missing_are_reported():
    good = {"neuron_test_acc": 0.97, "moons_hidden_acc": 0.98, "moons_neuron_acc": 0.9}
    assert variants.check_values("01_neuron", "cpu", good) == []
    ranges = {name: variants.EXPECTED["01_neuron"][name]["cpu"] for name in good}
    assert "outside [{}, {}]".format(*ranges["neuron_test_acc"]) in variants.check_values(
        "01_neuron", "cpu", good | {"neuron_test_acc": 0.9})[0]
    # An upper end can fail too: a single neuron that separates two moons would mean the chapter changed.
    assert "outside [{}, {}]".format(*ranges["moons_neuron_acc"]) in variants.check_values(
        "01_neuron", "cpu", good | {"moons_neuron_acc": 0.99})[0]
    assert "not glued" in variants.check_values("01_neuron", "cpu", {})[0]


def test_every_headline_value_is_named_in_words_with_the_reason_for_its_ranges():
    for chapter, names in variants.HEADLINES.items():
        for name, entry in names.items():
            assert entry["what"] and entry["seeds"] and entry["why"], (chapter, name)
            assert "_" not in entry["what"], (chapter, name)  # readers get words, not glue names


@pytest.mark.parametrize("entry, message", [
    ('what = "w"\nseeds = "s"\nsmoke = [0, 1]\ncpu = [0, 1]', "missing ['why']"),
    ('what = "w"\nseeds = "s"\nwhy = "y"\nsmoke = [0, 1]\ncpu = [0, 1]\ncpu_gpu = [0, 1]', "unknown ['cpu_gpu']"),
    ('what = "w"\nseeds = "s"\nwhy = "y"\nsmoke = [0, 1]\ncpu = [0.9, 0.8]', "cpu = [0.9, 0.8] is not"),
    ('what = "w"\nseeds = "s"\nwhy = "y"\nsmoke = [0, 1]\ncpu = [0, 1]\ngpu = [0.5]', "gpu = [0.5] is not"),
    ('what = "w"\nseeds = "s"\nwhy = "y"\nsmoke = [0, 1]\ncpu = 0.5', "cpu = 0.5 is not"),
    ('what = "w"\nseeds = "s"\nwhy = "y"\nsmoke = [0, 1]\ncpu = [true, true]', "cpu = [True, True] is not"),
], ids=["missing", "unknown", "inverted", "one_end", "a_number", "booleans"])
def test_a_malformed_headline_entry_is_an_error_that_names_it(tmp_path, entry, message):
    path = tmp_path / "headlines.toml"
    path.write_text(f"[01_neuron.neuron_test_acc]\n{entry}\n")
    with pytest.raises(ValueError, match=r"headlines.toml, \[01_neuron.neuron_test_acc\]: .*" + re.escape(message)):
        variants.read_headlines(path)


def test_a_range_missing_for_gpu_is_the_cpu_one(tmp_path):
    path = tmp_path / "headlines.toml"
    path.write_text('[c.n]\nwhat = "w"\nseeds = "s"\nwhy = "y"\nsmoke = [0, 1]\ncpu = [0.5, 1]\n')
    assert variants.read_headlines(path)["c"]["n"]["gpu"] == (0.5, 1)
