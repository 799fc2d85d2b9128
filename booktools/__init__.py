"""booktools: the book's own machinery, which readers never install.

Beside ``nbcode`` (what the chapters import) and not part of it: maintaining the
chapters (:mod:`booktools.book`: Colab links, glued values, re-running a chapter
in place), their variants and the checking of their headline values against
the ranges in ``chapters/headlines.toml`` (:mod:`booktools.variants`), the
pinned numerics under which outputs reproduce (:mod:`booktools.numerics`), the
reader notebooks (:mod:`booktools.reader`), each chapter's stamp, the PDF and
the notebook zip (:mod:`booktools.publish`), and a local server
(:mod:`booktools.serve`). It is imported from the checkout it sits in (the tests,
``python -m booktools.…`` run from the checkout, the Sphinx extensions in
``_ext/``), so it always works on that checkout, whichever ``nbcode`` the
environment has installed.
"""
