"""Export: datasets (JSONL, CSV, Parquet, WARC) with manifests, checksums and datasheets."""
