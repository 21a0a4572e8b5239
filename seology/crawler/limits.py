"""Per-page bounds: what one page may cost the crawl, whatever it serves.

A page is untrusted: a page of nothing but `<a href>` holds hundreds of thousands of
links, each a dict in the parser, a pickle across the pool's pipe, a pydantic model in
the crawl process and a row in the database. So every list a page yields is cut to a
bound (`PageLimits`, from the `SEOLOGY_CRAWL_MAX_*` settings) and what was cut is
counted in the record's `capped` field (field name → how many the page had), where
the audit reports it (`links.too_many` with the real count, `http.page_capped`).

The fast parser also stops *building* tags past the bounds (`FieldSoup`), so a
hostile page costs its parser process memory in proportion to the bounds, not to the
page. The full-soup reference path builds everything and cuts the same lists with
`cap_fields`, so both paths give the same record for any page whose tags of one name
stay under the build bound (`build_bound`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seology.crawler.strained import HEADING_TAGS


@dataclass(frozen=True, kw_only=True)
class PageLimits:
    """How many of each kind of element one page record keeps."""

    links: int = 5000
    images: int = 1000
    json_ld: int = 100
    headings: int = 1000
    #: Any other list a record keeps (titles, meta tags, canonicals, hreflang, mixed content).
    other: int = 1000

    def build_bound(self, name: str) -> int:
        """Tags named `name` the fast parser builds before it only counts them.

        Above the kept bound, so that the first `kept` of a name are always built:
        anchors without href and scripts that are not JSON-LD also count towards it.
        """
        if name == "a":
            return 4 * self.links
        if name == "img":
            return self.images
        if name in HEADING_TAGS:
            return self.headings
        return 4 * max(self.other, self.json_ld)


#: Record fields cut to `PageLimits.other`.
_OTHER_LISTS = ("titles", "meta_descriptions", "meta_robots", "canonicals", "hreflang")


def cap_fields(fields: dict[str, Any], limits: PageLimits, skipped: dict[str, int]) -> None:
    """Cut the lists of parsed `fields` to `limits`, in place; count what was cut.

    `skipped` are the elements the parser counted but did not build (field → count).
    """
    capped: dict[str, int] = {}
    for name, bound in (
        ("links", limits.links),
        ("images", limits.images),
        ("json_ld", limits.json_ld),
        ("mixed_content", limits.images),
        *((name, limits.other) for name in _OTHER_LISTS),
    ):
        total = len(fields.get(name, ())) + skipped.get(name, 0)
        if total > bound:
            fields[name] = fields[name][:bound]
            capped[name] = total
    _cap_headings(fields, limits, skipped.get("headings", 0), capped)
    fields["capped"] = capped


def _cap_headings(
    fields: dict[str, Any], limits: PageLimits, skipped: int, capped: dict[str, int]
) -> None:
    """Keep the first `limits.headings` headings in document order, whatever their level."""
    levels: list[int] = fields.get("heading_levels", [])
    total = len(levels) + skipped
    if total <= limits.headings:
        return
    kept_levels = levels[: limits.headings]
    headings = fields["headings"]
    for level in range(1, 7):
        name = f"h{level}"
        headings[name] = headings.get(name, [])[: kept_levels.count(level)]
    fields["heading_levels"] = kept_levels
    capped["headings"] = total
