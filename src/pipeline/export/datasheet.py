"""The datasheet of an export: ``README.md``, for people, beside ``manifest.json``.

Markdown with a Hugging Face dataset-card header (so ``datasets.load_dataset(PATH)`` finds the
data files), written from the manifest: what the export holds, how the data was collected, its
sites and fields, caveats, rights, how to read it and how to verify it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.export.formats import FieldSpec
from pipeline.export.orthography import AS_PUBLISHED, ORTHOGRAPHY_NOTES

__all__ = ["render_readme"]

LIBRARY_CALL = "(library call: pipeline.export.dataset.export_articles)"

_COLLECTION = """\
## How the data was collected

Pages were fetched by the baotinh crawler (robots.txt obeyed, identified User-Agent, throttled)
from each paper's sitemaps, feeds and section listings. Text and metadata were extracted from
the HTML (trafilatura plus rules for Vietnamese pages), normalised to Unicode NFC with
whitespace collapsed, and dated in Asia/Ho_Chi_Minh time (UTC+7). The crawl runs that produced
these records are listed in `manifest.json` (`crawl_runs`, and `coverage_ledger` when the
archive keeps one).
"""

_FIELD_NOTES = """\
Timestamps carry their offset (ISO 8601 in JSONL/CSV; UTC instants with zone
`Asia/Ho_Chi_Minh` in Parquet). A field the page did not give is null, never a guess; in CSV
null is an empty cell and lists are JSON strings.
"""

_CAVEATS = """\
## Caveats

- Bylines are as printed: often initials or pen names, sometimes a news agency; they do not
  identify people reliably.
- Dates are those printed by the papers; pages without a readable date have a null
  `published_at`.
- Coverage depends on what each paper's sitemaps, feeds and listings exposed when crawled; an
  article missing here may exist on the paper's site.
- Syndicated stories (e.g. from TTXVN) can appear in several papers.
"""

_RIGHTS = """\
## Rights

The texts, photos and captions belong to their papers and authors. This export is provided for
research, preservation and reference; reuse beyond what the law allows (quotation, research
exceptions) needs the rights holders' permission. Cite the paper and the article URL together
with this dataset.
"""

_READING = """\
## Reading

- pyarrow: `pyarrow.dataset.dataset(PATH, format="parquet", exclude_invalid_files=True)`
- pandas: `pandas.read_parquet(PATH + "/articles-00000.parquet")`, or
  `pandas.read_json(FILE, lines=True)` for JSONL
- polars: `polars.read_parquet(PATH + "/articles-*.parquet")`
- DuckDB: `SELECT * FROM read_parquet('PATH/articles-*.parquet')`
- Hugging Face: `datasets.load_dataset(PATH)` (this file's header names the data files)
- WARC: `index.cdxj` indexes the records of `articles-*.warc.gz` for pywb and other replay tools
"""

_VERIFICATION = """\
## Verification

`manifest.json` lists every file with its size and SHA-256. Check the export with:

    baotinh export verify PATH
"""


def render_readme(manifest: Mapping[str, Any], specs: Sequence[FieldSpec], data_files: str) -> str:
    """The datasheet of an export (Markdown with a Hugging Face dataset-card header)."""
    warc = manifest["options"]["format"] == "warc"
    return "\n".join((
        _front_matter(data_files),
        _summary(manifest),
        _COLLECTION,
        _spelling(manifest["options"]),
        _sites_table(manifest["sites"]),
        _fields_table(specs, warc=warc),
        _FIELD_NOTES,
        _CAVEATS,
        _RIGHTS,
        _READING,
        _VERIFICATION,
    ))


def _front_matter(data_files: str) -> str:
    return f"""\
---
language:
- vi
license: other
pretty_name: baotinh export of Vietnamese provincial press articles
configs:
- config_name: default
  data_files: "{data_files}"
---
"""


def _summary(manifest: Mapping[str, Any]) -> str:
    """The title and the export at a glance: when, by what, how many rows, which period, filters."""
    counts = manifest["counts"]
    span = manifest["time_span"]
    filters = json.dumps(manifest["filters"], ensure_ascii=False) if manifest["filters"] else "none"
    since = manifest.get("since_export")
    incremental = (f"Incremental: only articles new or changed since the export of "
                   f"{since['exported_at']}.\n" if since else "")
    return f"""\
# baotinh export ({manifest['options']['format']})

Articles of Vietnam's provincial press from the baotinh archive, exported on
{manifest['exported_at']} by baotinh {manifest['software']['version']}.

- Rows: {counts['rows']} ({counts['articles']} articles, {counts['versions']} earlier versions)
- Published between {span['published_min'] or 'unknown'} and {span['published_max'] or 'unknown'}
  ({span['articles_without_date']} articles without a publication date)
- Filters: {filters}
{incremental}
Command: `{manifest['command'] or LIBRARY_CALL}`
"""


def _spelling(options: Mapping[str, Any]) -> str:
    """How the text is spelt: as published, or converted to the modern tone placement."""
    orthography = options.get("orthography") or AS_PUBLISHED
    note = ("The WARC records are the captured pages byte for byte, in each paper's own spelling."
            if options["format"] == "warc" else ORTHOGRAPHY_NOTES[orthography])
    return f"""\
## Spelling (orthography: {orthography})

{note}
"""


def _sites_table(sites: Mapping[str, Mapping[str, Any]]) -> str:
    rows = "\n".join(
        f"| {sid} | {info.get('name') or ''} | {info.get('province') or ''} | {info['articles']} |"
        for sid, info in sorted(sites.items())
    )
    return f"""\
## Sites

| site | name | province | articles |
|---|---|---|---|
{rows}
"""


def _fields_table(specs: Sequence[FieldSpec], *, warc: bool) -> str:
    rows = "\n".join(f"| `{s.name}` | {s.type} | {s.description} |" for s in specs)
    return f"""\
## Fields{' of index.cdxj' if warc else ''}

| field | type | meaning |
|---|---|---|
{rows}
"""
