"""Write the book's "Execution statistics" page from variant-run summaries.

Each profile's summary is the summary.json that `python -m booktools.variants
--profile PROFILE --out DIR` writes; the committed copies live in
benchmarks/results/PROFILE.json, which keep every glued value under its glue
name. The page is for readers: each chapter's time as a bar chart (cpu, and
gpu where it has run) against the chapter's time budget, the machine behind
each profile, and per chapter its headline values (the ones
``booktools.variants.EXPECTED`` checks) named in words, with the accepted range
and the seeds behind each, all from ``chapters/headlines.toml``. The page is generated,
never edited: a test checks that the committed page equals this script's output.

Example: python benchmarks/statistics_page.py   (writes statistics.md)
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: find booktools in this checkout

from booktools.variants import CPU_BUDGET_SECONDS, HEADLINES  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROFILES = ("cpu", "gpu")
COLOURS = {"cpu": "#4c72b0", "gpu": "#dd8452"}
LABEL_WIDTH = 70  # the width of a bar's label, "1234 s (cpu)", at the chart's 11 px font


def load(results=RESULTS):
    """The summaries that exist, by profile."""
    return {profile: json.loads(path.read_text()) for profile in PROFILES
            if (path := Path(results) / f"{profile}.json").exists()}


def machine_words(machine):
    gpu = f"with an {machine['gpu']} GPU" if machine["gpu"] else "without a GPU"
    return f"{machine['cpu_count']} CPU cores {gpu}, Python {machine['python']}, PyTorch {machine['torch']}"


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    # A non-breaking hyphen in the exponent, so that a narrow column cannot wrap 1.2e-07 after its "e-".
    return f"{value:.2g}".replace("e-", "e\u2011")


def _range(low, high):
    if low == high:
        return f"exactly {_number(low)}"
    if low == 0 and high > 0:
        return f"at most {_number(high)}"
    return f"{_number(low)} to {_number(high)}"


def chapter_title(chapter, root=ROOT):
    """The chapter's title, from the first cell of its notebook: "7. The convolutional network"."""
    cells = json.loads((Path(root) / "chapters" / f"{chapter}.ipynb").read_text())["cells"]
    return "".join(cells[0]["source"]).lstrip("# ").strip()


def time_chart(summaries, chapters):
    """An inline SVG bar chart of each chapter's seconds per profile, with its cpu budget marked."""
    profiles = [profile for profile in PROFILES if profile in summaries]
    label_width, bar_width, row, gap = 150, 460, 16, 8
    longest = max([summaries[p]["chapters"].get(c, {}).get("seconds", 0) for p in profiles for c in chapters]
                  + [CPU_BUDGET_SECONDS.get(c, CPU_BUDGET_SECONDS["default"]) for c in chapters])
    scale = bar_width / longest
    height_per_chapter = row * len(profiles) + gap
    height = height_per_chapter * len(chapters) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" viewBox="0 0 {label_width + bar_width + 80} '
             f'{height}" style="max-width:720px;font-family:sans-serif;font-size:11px">',
             "<title>Seconds each chapter takes at each profile's parameters, with the cpu time budget marked</title>"]
    for index, chapter in enumerate(chapters):
        top = index * height_per_chapter
        budget = CPU_BUDGET_SECONDS.get(chapter, CPU_BUDGET_SECONDS["default"])
        budget_x = label_width + budget * scale
        parts.append(f'<text x="{label_width - 6}" y="{top + row * len(profiles) / 2 + 4}" text-anchor="end" '
                     f'fill="currentColor">{chapter}</text>')
        for offset, profile in enumerate(profiles):
            result = summaries[profile]["chapters"].get(chapter)
            y = top + offset * row
            if result is None:
                parts.append(f'<text x="{label_width + 4}" y="{y + row - 4}" fill="currentColor">{profile}: not run</text>')
                continue
            width = max(1.0, result["seconds"] * scale)
            parts.append(f'<rect x="{label_width}" y="{y + 2}" width="{width:.1f}" height="{row - 4}" '
                         f'fill="{COLOURS[profile]}"><title>{chapter}, {profile}: {result["seconds"]:.0f} s</title></rect>')
            # The seconds go right of the bar, and right of the budget line when it would cross them.
            label_x = label_width + width + 4
            if label_x - 4 < budget_x < label_x + LABEL_WIDTH:
                label_x = budget_x + 4
            parts.append(f'<text x="{label_x:.1f}" y="{y + row - 4}" fill="currentColor">'
                         f'{result["seconds"]:.0f} s ({profile})</text>')
        parts.append(f'<line x1="{budget_x:.1f}" x2="{budget_x:.1f}" y1="{top}" y2="{top + row * len(profiles)}" '
                     f'stroke="currentColor" stroke-dasharray="3,2"><title>cpu budget {budget} s</title></line>')
    legend_y = len(chapters) * height_per_chapter + 20
    legend = [f'<rect x="{label_width}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS["cpu"]}"/>',
              f'<text x="{label_width + 14}" y="{legend_y}" fill="currentColor">cpu profile (the outputs you read)</text>',
              f'<line x1="{label_width + 230}" x2="{label_width + 230}" y1="{legend_y - 10}" y2="{legend_y + 1}" '
              'stroke="currentColor" stroke-dasharray="3,2"/>',
              f'<text x="{label_width + 236}" y="{legend_y}" fill="currentColor">the chapter\'s cpu time budget</text>']
    if "gpu" in profiles:
        legend += [f'<rect x="{label_width + 400}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS["gpu"]}"/>',
                   f'<text x="{label_width + 414}" y="{legend_y}" fill="currentColor">gpu profile</text>']
    return "".join(parts + legend + ["</svg>"])


def page(results=RESULTS):
    summaries = load(results)
    chapters = list(HEADLINES)
    lines = ["# Execution statistics", "",
             "Every chapter is run top to bottom as a test, and its headline numbers must fall in ranges set from "
             "runs with several seeds. This page shows the latest full runs: how long each chapter took, on which "
             "machine, and what it measured. The **cpu** profile runs the notebooks' defaults, which made the outputs "
             "you read; the **gpu** profile trains longer on a GPU. The page is generated by "
             "`benchmarks/statistics_page.py` from the run summaries in `benchmarks/results/`, which also keep every "
             "other glued value.", ""]
    lines += ["## Time per chapter", ""]
    if "cpu" not in summaries:
        lines += ["No cpu run has been recorded yet.", ""]
    else:
        lines += [time_chart(summaries, chapters), ""]
    for profile in PROFILES:
        if profile in summaries:
            summary = summaries[profile]
            total = sum(result["seconds"] for result in summary["chapters"].values())
            # A run recorded otherwise than alone on its machine says how, in its summary's "conditions".
            conditions = summary.get("conditions", "one after the other, each in a fresh kernel")
            lines.append(f"- **{profile}**: {machine_words(summary['machine'])}; {total / 60:.1f} minutes for "
                         f"{len(summary['chapters'])} chapters, {conditions}.")
        else:
            lines.append(f"- **{profile}**: not yet run; there are no numbers to show.")
    lines.append("")
    lines += ["## What each chapter measured", "",
              "Each value is the one the notebook glued into its text, from the cpu run above (and the gpu run where "
              "there is one). A run fails its test when a value leaves its accepted range.", ""]
    for chapter in chapters:
        gpu = summaries.get("gpu", {}).get("chapters", {}).get(chapter)
        header = "| value | cpu | accepted (cpu) | seeds |" + (" gpu |" if gpu else "")
        lines += [f"### {chapter_title(chapter)}", "", header, "| --- | ---: | --- | --- |" + (" ---: |" if gpu else "")]
        cpu_values = summaries.get("cpu", {}).get("chapters", {}).get(chapter, {}).get("values", {})
        for name, entry in HEADLINES[chapter].items():
            row = (f"| {entry['what']} | {_number(cpu_values.get(name, 'not run'))} | {_range(*entry['cpu'])} | "
                   f"{entry['seeds']} |")
            if gpu:
                row += f" {_number(gpu['values'].get(name, 'not glued'))} |"
            lines.append(row)
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "statistics.md", help="page to write (default statistics.md)")
    args = parser.parse_args(argv)
    args.out.write_text(page())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
