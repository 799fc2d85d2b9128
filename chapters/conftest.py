"""pytest wiring for the chapters.

nbval executes every chapter and compares each cell's outputs with the
committed ones. After a chapter's last cell, one more test item, "headline
values", reads the values the chapter glued *in that fresh run* and checks
them against ``booktools.variants.EXPECTED`` for the ``cpu`` profile (the
defaults). With ``pytest -n 2 --dist loadfile`` it runs in the same worker
as the chapter's cells, after them.

In tolerant mode (see :mod:`booktools.numerics`), cells tagged ``numerical-noise``
still run, but their outputs are not compared: they depend on floating-point
rounding, which differs between PyTorch releases and processors. The mode is
chosen per chapter, from the processor vendor recorded in its metadata.
"""

from pathlib import Path
from types import SimpleNamespace

import pytest
from nbval.plugin import IPyNbCell

from booktools.book import glued_values
from booktools.numerics import NOISE_TAG
from booktools.variants import check_values


class HeadlineValues(pytest.Item):
    def __init__(self, *, chapter, cells, **kwargs):
        super().__init__(**kwargs)
        self.chapter, self.cells = chapter, cells

    def runtest(self):
        fresh = SimpleNamespace(cells=[{"outputs": cell.test_outputs or []} for cell in self.cells])
        problems = check_values(self.chapter, "cpu", glued_values(fresh))
        if problems:
            raise AssertionError("\n".join(problems))

    def reportinfo(self):
        return self.path, None, f"{self.chapter}: headline values"


def pytest_collection_modifyitems(session, config, items):
    cells_by_file = {}
    for item in items:
        if isinstance(item, IPyNbCell):
            cells_by_file.setdefault(item.parent, []).append(item)
    for notebook, cells in cells_by_file.items():
        chapter = Path(notebook.path).stem
        mode, _ = config.chapter_modes[chapter]  # decided once, in the root conftest.py, from the recorded vendor
        if mode == "tolerant":
            for cell in cells:
                if NOISE_TAG in cell.cell.metadata.get("tags", []):
                    cell.options["check"] = False
        check = HeadlineValues.from_parent(notebook, name="headline values",
                                           chapter=chapter, cells=cells)
        items.insert(items.index(cells[-1]) + 1, check)
