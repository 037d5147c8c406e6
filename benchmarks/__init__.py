"""baotinh benchmark suite (`make bench`); see benchmarks/__main__.py."""
