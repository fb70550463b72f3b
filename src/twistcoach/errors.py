"""The exception tree of twistcoach (after httpx's ``_exceptions.py``).

Every error twistcoach raises on purpose is a :class:`TwistcoachError`, in one of a few
families. The core and the services raise these; the edges turn them into what their
users see, each in ONE place:

- the web app maps a family to an HTTP status (``twistcoach.web.app.ERROR_STATUS``), with
  the body ``{"detail": message, "problems": [{"field", "message"}]}`` for every 4xx;
- the CLI maps a family to an exit code (``twistcoach.cli.app.EXIT_CODES``).

Services never raise HTTP errors: they do not know they are behind HTTP.

::

    TwistcoachError
    ├── DataError            bad input: a value out of range, a malformed document (422, exit 2)
    ├── AccessError
    │   ├── NotSignedIn      nobody is signed in, or the sign-in ended (401, exit 2)
    │   ├── NotAllowed       signed in, but this is not theirs to see or do (403, exit 2)
    │   └── NotFound         no such thing (404, exit 2)
    ├── ConflictError        right input, wrong moment: nothing to review, already running (409)
    ├── RateLimited          too many tries; ``retry_after_s`` says when to come back (429)
    ├── MediaError           a photo or video that cannot be read (422, exit 2)
    ├── EstimatorError       the pose estimator could not run (500, exit 1)
    ├── StorageError         the store refused or failed (409, exit 1)
    └── RuleFileError        a packaged rule or data file is broken (500, exit 2)

(Exit 3 is not an error: ``twistcoach coach`` uses it for a session a safety rule stopped.)

Existing module errors are members of these families (``storage.db.StorageError``,
``storage.repository.NotFoundError``, ``intake.IntakeError``, ``safeload.SafeLoadError``,
``estimator.EstimatorError``, ``screening.ScreeningError``). Every loader of a packaged rule
or data file (``twistcoach/rules/*.yaml``, ``export/*.yaml``, the pose library) raises a
:class:`RuleFileError` naming the file and the field (``screening.RulesError``,
``coaching.RulesError``, ``planning.SafetyRulesError``,
``progression.ProgressionRulesError``, ``poses.loader.LibraryError``; see
``twistcoach.rulefiles``), so a typo in one is a plain message at every edge, never a
traceback.
``sources.MediaError`` is :class:`MediaError` itself, and ``coaching.PlanRefusedError`` a
:class:`NotAllowed` (both stay ``ValueError`` s for the code that catches those).
"""

from __future__ import annotations

from collections.abc import Mapping


class TwistcoachError(Exception):
    """The root of every error twistcoach raises on purpose.

    Parameters
    ----------
    message
        A plain sentence for the person who made the request.
    problems
        Per-field messages (``{field: message}``) when the input had several faults.
    """

    def __init__(self, message: str = "", problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: dict[str, str] = dict(problems or {})

    def __str__(self) -> str:
        return self.message or super().__str__()


class DataError(TwistcoachError, ValueError):
    """Input that breaks a rule: out of range, malformed, unknown name."""


class AccessError(TwistcoachError):
    """Who may see or do what."""


class NotSignedIn(AccessError):  # noqa: N818 (httpx-style names)
    """Nobody is signed in (or the sign-in was ended)."""


class NotAllowed(AccessError):  # noqa: N818
    """Signed in, but not allowed to see or do this."""


class NotFound(AccessError, LookupError):  # noqa: N818
    """No such id or name."""


class ConflictError(TwistcoachError):
    """A valid request at the wrong moment (nothing to review, a session already running)."""


class RateLimited(TwistcoachError):  # noqa: N818
    """Too many attempts.

    Parameters
    ----------
    retry_after_s
        Seconds until a new attempt may succeed (whole seconds, at least 1).
    """

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, int(retry_after_s))


class MediaError(TwistcoachError, ValueError):
    """A photo or video that cannot be read or is refused (size, format)."""


class EstimatorError(TwistcoachError, RuntimeError):
    """The pose estimator could not run."""


class StorageError(TwistcoachError):
    """The store refused a change (a rule it keeps) or could not be reached."""


class RuleFileError(TwistcoachError, ValueError):
    """A packaged rule or data file (a rule table, the wording, a pose) is invalid.

    Not the person's input, so no :class:`DataError` (a form would show it as their
    mistake); the message names the file and every bad field, for whoever edited it.
    """


__all__ = [
    "AccessError",
    "ConflictError",
    "DataError",
    "EstimatorError",
    "MediaError",
    "NotAllowed",
    "NotFound",
    "NotSignedIn",
    "RateLimited",
    "RuleFileError",
    "StorageError",
    "TwistcoachError",
]
