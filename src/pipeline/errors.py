"""Typed errors of the library; the CLI maps each to one line on stderr and an exit code."""

from __future__ import annotations


class BaotinhError(Exception):
    """Base class: something the user can act on. ``str(exc)`` is the one-line message."""

    exit_code: int = 1


class InputError(BaotinhError):
    """Bad input: a missing or unreadable file, a page that is not HTML, a bad flag value."""

    exit_code = 2


class ConfigError(BaotinhError):
    """Bad configuration: unknown site id, unusable database URL, unwritable archive."""

    exit_code = 78  # EX_CONFIG


class ExtractionError(BaotinhError):
    """A page from which no article could be extracted."""

    exit_code = 65  # EX_DATAERR


class ArchiveError(BaotinhError):
    """The archive cannot be opened or written."""

    exit_code = 74  # EX_IOERR


class ArchiveNotReadyError(ArchiveError):
    """The archive has no schema, or an older one, and the command may not migrate it."""


class ArchiveMissingError(ArchiveError):
    """No archive where one was named (a mistyped ``--archive`` or ``--db``); nothing was created."""

    exit_code = 66  # EX_NOINPUT


class ArchiveDamagedError(ArchiveError):
    """The archive's database file is damaged (truncated, pages overwritten): SQLite says malformed.

    ``detail`` is the database's own words ("database disk image is malformed").
    """

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


class NotAnArchiveError(ArchiveError):
    """The database is not a baotinh archive: not SQLite at all, or another program's schema."""

    exit_code = 65  # EX_DATAERR


class ExitCode:
    """Exit codes of ``baotinh`` (documented in the README), stable for cron and monitoring."""

    OK = 0  # success
    FAILED = 1  # nothing could be done (site unreachable, every page failed)
    USAGE = 2  # bad flag, bad query, bad input file
    PARTIAL = 3  # some pages or sites failed, the rest was archived
    NOTHING_TO_DO = 4  # nothing was due (incremental run found no work)
    DATA = 65  # a page without an article; a database that is not a baotinh archive
    NO_INPUT = 66  # no archive at the path given (EX_NOINPUT: a mistyped --archive or --db)
    IO = 74  # the archive cannot be written
    LOCKED = 75  # another run holds the lock (EX_TEMPFAIL: try later)
    CONFIG = 78  # configuration error (unknown site, bad database URL)
