"""Recorded studies: their result files match their code, and the chapters' own runs are entries of them."""

import importlib
import json
import math
import os
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

import studies
from booktools import numerics
from nbcode import studies as recorded
from booktools.book import ROOT, glued_values
from booktools.variants import EXPECTED, _parameters_used

NAMES = studies.names()
DATA = os.environ.get("NBCODE_DATA")


def module(name):
    return importlib.import_module(f"studies.{name}")


def result(name):
    return json.loads((ROOT / "nbcode" / "results" / f"{name}.json").read_text())


def test_there_are_studies_and_every_result_file_has_its_study():
    assert "article_a_seeds" in NAMES
    files = sorted(path.stem for path in (ROOT / "nbcode" / "results").glob("*.json"))
    assert files == NAMES, "every study needs its result file (python -m studies NAME), and no file outlives its study"


@pytest.mark.parametrize("name", NAMES)
def test_a_study_defines_what_the_runner_and_the_tests_need(name):
    study = module(name)
    missing = [attribute for attribute in studies.REQUIRED if not hasattr(study, attribute)]
    assert not missing, f"studies/{name}.py lacks {missing}"
    assert (ROOT / "chapters" / f"{study.CHAPTER}.ipynb").exists()
    if getattr(study, "SEED_FREE", False):
        assert study.SEEDS == [0], "a study that no seed changes records one run, seed 0"
    else:
        assert len(study.SEEDS) >= 5 and len(set(study.SEEDS)) == len(study.SEEDS)
    assert set(study.SMOKE) <= set(study.SETTINGS), "SMOKE may only change settings the study has"
    assert (study.__doc__ or "").strip(), "say what the study measures, for which chapter, at what cost"


@pytest.mark.parametrize("name", NAMES)
def test_the_result_file_was_recorded_with_the_studys_code_as_it_is(name):
    study, record = module(name), result(name)
    assert record["study"] == name and record["chapter"] == study.CHAPTER
    assert record["settings"] == study.SETTINGS, "the settings changed since the study was recorded: rerun it"
    assert record["seeds"] == study.SEEDS == [run["seed"] for run in record["runs"]]
    assert record["numerics"] == "pinned" and record["cpu_vendor"] and record["torch"] and record["date"]
    keys = {key for run in record["runs"] for key in run}
    assert all(set(run) == keys for run in record["runs"]), "every seed measures the same things"
    assert set(study.GLUE.values()) <= keys
    assert all(run["seconds"] > 0 for run in record["runs"])


@pytest.mark.parametrize("name", NAMES)
def test_the_studys_settings_are_the_chapters_defaults(name):
    study = module(name)
    defaults = _parameters_used(nbformat.read(ROOT / "chapters" / f"{study.CHAPTER}.ipynb", as_version=4))
    for setting, parameter in getattr(study, "PARAMETERS", {}).items():
        assert study.SETTINGS[setting] == defaults[parameter], (
            f"studies/{name}.py runs {setting}={study.SETTINGS[setting]!r}, {study.CHAPTER} {parameter}="
            f"{defaults[parameter]!r}: the chapter's own run is no longer an entry of the study")


@pytest.mark.parametrize("name", NAMES)
def test_the_chapters_own_run_is_the_studys_entry_for_its_seed(name):
    study, record = module(name), result(name)
    notebook = nbformat.read(ROOT / "chapters" / f"{study.CHAPTER}.ipynb", as_version=4)
    glued = glued_values(notebook)
    entry = recorded.Study(record).entry(getattr(study, "CHAPTER_SEED", 0))
    same_vendor = numerics.recorded_vendor(notebook.metadata) == record["cpu_vendor"]
    for glue_name, key in study.GLUE.items():
        assert glue_name in glued, f"{study.CHAPTER} glues no {glue_name!r}"
        if same_vendor:
            assert glued[glue_name] == entry[key], (
                f"{study.CHAPTER}'s {glue_name} = {glued[glue_name]} but the study's run of its seed measured "
                f"{entry[key]}: chapter and study no longer run the same code (rerun both)")
        else:  # recorded on processors that round differently: both must meet the headline range
            low, high = EXPECTED[study.CHAPTER][glue_name]["cpu"]
            assert low <= entry[key] <= high and low <= glued[glue_name] <= high


@pytest.mark.skipif(not DATA, reason="set NBCODE_DATA to the datasets' folder")
@pytest.mark.parametrize("name", NAMES)
def test_a_study_runs_one_tiny_seed_through_the_runner(name, tmp_path):
    # Without the pinned variables (the test session has them): the runner must set them itself.
    environment = {key: value for key, value in os.environ.items() if key not in numerics.PINNED}
    environment["PYTHONPATH"] = str(ROOT)
    completed = subprocess.run([sys.executable, "-m", "studies", name, "--smoke", "--seeds", "0", "--out", str(tmp_path)],
                               cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    smoke = json.loads((tmp_path / f"{name}.json").read_text())
    assert smoke["settings"] == module(name).SETTINGS | module(name).SMOKE
    assert set(smoke["runs"][0]) == set(result(name)["runs"][0]), "the smoke run measures what the study measures"
    assert smoke["numerics"] == "pinned"


@pytest.mark.skipif(not DATA, reason="set NBCODE_DATA to the datasets' folder")
@pytest.mark.parametrize("name", [name for name in NAMES if getattr(module(name), "SEED_FREE", False)])
def test_a_seed_free_study_measures_the_same_under_another_seed(name, tmp_path):
    completed = subprocess.run([sys.executable, "-m", "studies", name, "--smoke", "--seeds", "0", "1", "--out",
                                str(tmp_path)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    first, second = ({key: value for key, value in run.items() if key not in ("seed", "seconds")}
                     for run in json.loads((tmp_path / f"{name}.json").read_text())["runs"])
    assert first == second, f"studies/{name}.py says no seed changes it, but seeds 0 and 1 measured differently"


def test_the_runner_refuses_unknown_studies_and_smoke_results_in_the_package():
    for arguments, message in ((["no_such_study"], "is not among"), ([], "name one or more"),
                               (["article_a_seeds", "--smoke"], "--out")):
        completed = subprocess.run([sys.executable, "-m", "studies", *arguments], cwd=ROOT, capture_output=True,
                                   text=True, timeout=120)
        assert completed.returncode == 2 and message in completed.stderr


RECORD = {"study": "toy", "settings": {"steps": 3}, "date": "2026-12-07", "cpu_model": "a CPU", "cpu_vendor": "V",
          "torch": "2", "runs": [{"seed": 0, "acc": 0.5, "solved": True, "seconds": 2.0},
                                 {"seed": 1, "acc": 0.7, "solved": False, "seconds": 4.0},
                                 {"seed": 2, "acc": 0.9, "solved": True, "seconds": 3.0}]}


def test_a_study_summarises_counts_and_prints_its_seeds(capsys):
    study = recorded.Study(RECORD)
    assert study.values("acc") == [0.5, 0.7, 0.9] and study.count("solved") == 2
    summary = study.summary("acc")
    assert math.isclose(summary["mean"], 0.7) and (summary["min"], summary["max"], summary["n"]) == (0.5, 0.9, 3)
    assert study.entry(1)["acc"] == 0.7
    study.table(["acc", "solved"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["seed", "acc", "solved"] and lines[2].split() == ["1", "0.7", "no"]
    assert lines[-1] == "Study 'toy': 3 seeds, recorded 2026-12-07 on a CPU (V), PyTorch 2, about 3 s per seed."


def test_a_study_names_what_it_has_when_asked_for_what_it_has_not():
    study = recorded.Study(RECORD)
    with pytest.raises(KeyError, match=r"does not measure 'loss'; it measures \['acc', 'solved'\]"):
        study.values("loss")
    with pytest.raises(KeyError, match=r"no run with seed 7: its seeds are \[0, 1, 2\]"):
        study.entry(7)
    with pytest.raises(FileNotFoundError, match="python -m studies NAME"):
        recorded.load("no_such_study")


def test_the_result_files_ship_inside_the_package(tmp_path):
    source = tmp_path / "source"  # a copy, so that the build leaves nothing in the checkout
    shutil.copytree(ROOT / "nbcode", source / "nbcode", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("nbcode-*.whl")
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("nbcode/results/")}
    assert shipped == {f"nbcode/results/{name}.json" for name in NAMES}


def test_a_study_of_one_run_says_so():
    study = recorded.Study({**RECORD, "runs": RECORD["runs"][:1]})
    assert study.recorded() == "Study 'toy': one run (no seed changes it), recorded 2026-12-07 on a CPU (V), PyTorch 2, 2 s."
