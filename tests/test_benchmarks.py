"""The benchmark scripts run and explain themselves, and the statistics page is generated, not edited."""

import json
import re
import subprocess
import sys

import pytest

from booktools.book import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import statistics_page  # noqa: E402
from booktools.variants import HEADLINES, VARIANTS  # noqa: E402

SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_help_explains_the_measurement(script):
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:") and "Example:" in result.stdout


def run_article_b_speed(*arguments):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "article_b_speed.py"), *arguments],
                          capture_output=True, text=True, cwd=ROOT)


def test_article_b_speed_prints_the_ratio_last():
    # A target both reach after one epoch keeps the test to seconds; the real target is the default.
    result = run_article_b_speed("--target", "0.9", "--max-epochs", "1")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("speed-up to 90.00% test accuracy: ") and last.endswith("x")
    assert float(last.rsplit(" ", 1)[-1][:-1]) > 1


def test_article_b_speed_says_when_the_target_is_out_of_reach():
    result = run_article_b_speed("--target", "1.01", "--max-epochs", "1")
    assert result.returncode != 0 and "did not reach 1.01 within 1 epochs" in result.stderr


def test_the_committed_statistics_page_is_the_generated_one():
    assert (ROOT / "statistics.md").read_text() == statistics_page.page(), (
        "run `python benchmarks/statistics_page.py` after updating benchmarks/results/")


def test_statistics_page_shows_only_profiles_that_ran(tmp_path):
    empty = statistics_page.page(tmp_path)
    assert "No cpu run has been recorded yet." in empty and empty.count("not yet run; there are no numbers") == 2
    summary = {"profile": "cpu", "machine": {"platform": "Linux", "python": "3.11", "torch": "2.x", "cpu_count": 2,
                                             "gpu": None},
               "chapters": {"01_neuron": {"seconds": 9.6, "values": {"neuron_test_acc": 0.99, "label": "x"},
                                          "parameters": {}, "problems": []}}}
    (tmp_path / "cpu.json").write_text(json.dumps(summary))
    text = statistics_page.page(tmp_path)
    entry = HEADLINES["01_neuron"]["neuron_test_acc"]
    words, seeds = entry["what"], entry["seeds"]
    assert f"| {words} | 0.99 | {statistics_page._range(*entry['cpu'])} | {seeds} |" in text
    assert "<title>01_neuron, cpu: 10 s</title>" in text  # the bar, with its seconds
    assert "2 CPU cores without a GPU" in text and text.count("not yet run; there are no numbers") == 1
    assert "neuron_test_acc" not in text  # readers get words; the glue names stay in benchmarks/results/
    assert "1 chapters, one after the other, each in a fresh kernel." in text
    summary["conditions"] = "one after the other, with a second run beside it on the other core"
    (tmp_path / "cpu.json").write_text(json.dumps(summary))
    assert "1 chapters, one after the other, with a second run beside it on the other core." in (
        statistics_page.page(tmp_path))


def test_a_bar_label_is_never_crossed_by_the_budget_line(tmp_path):
    # 140 s against a 150 s budget: the label right after the bar would sit on the budget line.
    summary = {"profile": "cpu", "machine": {"platform": "Linux", "python": "3.11", "torch": "2.x", "cpu_count": 2,
                                             "gpu": None},
               "chapters": {chapter: {"seconds": seconds, "values": {}, "parameters": {}, "problems": []}
                            for chapter, seconds in (("01_neuron", 140.0), ("02_forward", 10.0), ("06_mlp", 400.0))}}
    (tmp_path / "cpu.json").write_text(json.dumps(summary))
    svg = statistics_page.time_chart(statistics_page.load(tmp_path), list(summary["chapters"]))
    budgets = [float(x) for x in re.findall(r'<line x1="([0-9.]+)"[^>]*><title>cpu budget', svg)]
    labels = [float(x) for x in re.findall(r'<text x="([0-9.]+)" y="[0-9.]+" fill="currentColor">[0-9]+ s \(cpu\)', svg)]
    assert len(budgets) == len(labels) == 3
    for budget, label in zip(budgets, labels):
        assert not label - 4 < budget < label + statistics_page.LABEL_WIDTH, (budget, label)


def test_a_number_in_scientific_notation_cannot_wrap_inside_itself():
    assert statistics_page._number(1.2e-07) == "1.2e\u201107"
    assert "-" not in statistics_page._number(-3e-09)[1:] and statistics_page._number(0.25) == "0.25"


def test_book_time_reports_each_chapter_and_the_total_last():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "book_time.py"), "--workers", "1",
                             "chapters/02_forward.ipynb"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("02_forward") and lines[0].endswith(" s")
    assert lines[-1].startswith("these chapters: ") and lines[-1].endswith(" min wall clock")


def run_time_to_target(*arguments):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "time_to_target.py"), *arguments],
                          capture_output=True, text=True, cwd=ROOT)


def test_time_to_target_times_training_apart_from_warm_up_and_prints_the_time_last():
    # The smoke profile's steps take seconds; a loose target makes the first measurement (a twentieth) reach it.
    steps = VARIANTS["10_transformer"]["smoke"]["charlm_steps"]
    first = f"step {max(1, steps // 20)}/{steps}"
    result = run_time_to_target("charlm", "--profile", "smoke", "--device", "cpu", "--target", "4.0")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[1].startswith("warm-up: ") and lines[2].startswith(f"{first}: ")
    assert len(lines) == 2 + 1 + 1 and re.fullmatch(rf"time to validation loss 4.0: [\d.]+ s \({first}, [\d.]+\)",
                                                       lines[-1])


def test_time_to_target_says_when_the_target_is_out_of_reach():
    result = run_time_to_target("charlm", "--profile", "smoke", "--device", "cpu", "--target", "0.5")
    assert result.returncode != 0
    assert "charlm did not reach validation loss 0.5 with the smoke profile" in result.stderr


def test_time_to_target_runs_without_the_books_jupyter_packages():
    # A GPU machine may have PyTorch and the scientific stack but none of the Jupyter tooling.
    blocked = ("nbformat", "nbclient", "papermill", "myst_nb", "jupyter_book")
    code = (f"import sys\nfor name in {blocked!r}: sys.modules[name] = None\n"
            "sys.path.insert(0, 'benchmarks')\nimport time_to_target\ntime_to_target.main(['--help'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("usage:"), result.stderr
