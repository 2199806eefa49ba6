"""Repair the ``[docs]`` links of Sphinx's viewcode pages for modules documented under two names.

Sphinx 7.4's viewcode keeps one documentation prefix per module: the module under which the first of its objects
was documented. ``gapbook.WeightDistance`` is documented at the top level and ``gapbook.distance.DistanceLog``
under its own module, so the source page of ``gapbook.distance`` links DistanceLog to ``#gapbook.DistanceLog``,
which does not exist. After the build, each such link is pointed at the anchor the object really has.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

BACKLINK = re.compile(r'(<div class="viewcode-block" id="([^"]+)">\s*<a class="viewcode-back" href=")([^"#]*)#([^"]+)"')
ANCHOR = re.compile(r'id="([^"]+)"')


def repair_backlinks(app: Sphinx, exception: Exception | None) -> None:
    """Point every viewcode backlink whose anchor is missing at the object's own anchor."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    anchors: dict[Path, set[str]] = {}
    for page in (out / "_modules").rglob("*.html"):
        module = ".".join(page.relative_to(out / "_modules").with_suffix("").parts)
        html = page.read_text(encoding="utf-8")

        def repair(match: re.Match[str]) -> str:
            prefix, name, url, anchor = match.groups()
            target = (page.parent / url).resolve()
            if target not in anchors:
                anchors[target] = set(ANCHOR.findall(target.read_text(encoding="utf-8"))) if target.exists() else set()
            found = anchors[target]
            if anchor in found or f"{module}.{name}" not in found:
                return match.group(0)
            return f'{prefix}{url}#{module}.{name}"'

        repaired = BACKLINK.sub(repair, html)
        if repaired != html:
            page.write_text(repaired, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("build-finished", repair_backlinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
