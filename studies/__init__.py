"""The book's recorded studies: one module per study, run with ``python -m studies NAME``.

Each module defines what :mod:`nbcode.studies` readers see the results of:

- ``CHAPTER``: the chapter that quotes it (a notebook stem, "06_mlp");
- ``SETTINGS``: the chapter's cpu-default settings that ``run`` takes, as JSON values;
- ``SEEDS``: at least 10 seeds, or 5 where one seed costs more than a minute (the chapter says so),
  or ``[0]`` for a study that no seed changes, which then sets ``SEED_FREE = True`` (the tests
  check that its smoke run gives the same numbers under two seeds);
- ``SMOKE``: overrides of ``SETTINGS`` under which one seed runs in seconds (the tests run it);
- ``GLUE``: ``{chapter glue name: measurement}`` that must equal the entry for ``CHAPTER_SEED``
  (0 unless the module says otherwise): the chapter's own run is that entry;
- ``PARAMETERS`` (optional): ``{setting: the chapter's parameter}`` for settings that are
  parameters of the chapter, whose defaults they must equal;
- ``run(seed, **settings)``: the measurements of one seed, a dict of JSON numbers and bools,
  computed by the same code, in the same order, as the chapter's cells.
"""

from pathlib import Path

REQUIRED = ("CHAPTER", "SETTINGS", "SEEDS", "SMOKE", "GLUE", "run")


def names():
    """Every study's name: the modules of this folder."""
    return sorted(path.stem for path in Path(__file__).parent.glob("*.py") if not path.stem.startswith("_"))
