"""Registry: the provincial papers as data (sites.toml), loaded, merged and checked."""
