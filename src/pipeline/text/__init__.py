"""Text: Vietnamese text repair, URLs, charsets, search folding, dates, SimHash. Pure functions; imports nothing above it."""
