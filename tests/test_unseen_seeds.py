"""benchmarks/unseen_seeds.py tries studies on seeds they never recorded, against their chapters' cpu ranges."""

import importlib
import sys

import pytest

import studies
from booktools.book import ROOT
from booktools.variants import EXPECTED

sys.path.insert(0, str(ROOT / "benchmarks"))
unseen = importlib.import_module("unseen_seeds")


@pytest.mark.parametrize("name", studies.names())
def test_the_seeds_tried_are_none_the_study_recorded(name):
    module = importlib.import_module(f"studies.{name}")
    seeds = unseen.unseen_seeds(module, 3)
    assert len(seeds) == 3 and not set(seeds) & set(module.SEEDS)


def test_the_values_checked_are_those_the_study_shares_with_its_chapter_that_have_a_range():
    # cnn_article_head shares four values with chapter 7; two of them have ranges.
    module = importlib.import_module("studies.cnn_article_head")
    assert unseen.ranged_glue(module) == {"cnn_articleA_head_acc": "articleA_acc",
                                          "cnn_widened_head_acc": "widened_acc"}
    assert all(glue in EXPECTED[module.CHAPTER] for glue in unseen.ranged_glue(module))


def test_a_value_outside_its_range_fails_the_run(monkeypatch, tmp_path):
    rows = [{"study": "s", "chapter": "c", "seed": 10, "value_name": "v", "value": 2.0, "low": 0.0, "high": 1.0,
             "inside": False, "seconds": 1.0}]
    monkeypatch.setattr(unseen, "check", lambda name, count: (rows, {"cpu_vendor": "test"}))
    assert unseen.main([studies.names()[0], "--out", str(tmp_path / "unseen.json")]) == 1
    rows[0].update(value=0.5, inside=True)
    assert unseen.main([studies.names()[0], "--out", str(tmp_path / "unseen.json")]) == 0
