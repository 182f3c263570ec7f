"""One exception hierarchy for the whole harness (chaostoolkit style).

Every error that reaches a user names the file, field or step it is about. ``exit_code`` is what
the CLI exits with: 1 an expectation failed (or another run-time failure), 2 usage or configuration problems,
3 infrastructure (container runtime, images, readiness, the stack itself).
"""

from __future__ import annotations


class ObsdrillError(Exception):
    """Base of every error the harness raises on purpose."""

    exit_code = 1


class ConfigError(ObsdrillError):
    """A user-supplied file, field, flag or setting is wrong. Raised before anything starts."""

    exit_code = 2


class InfrastructureError(ObsdrillError):
    """The machinery under the checks failed (runtime, images, readiness, stack): nothing was judged."""

    exit_code = 3


class RuntimeUnavailableError(InfrastructureError):
    """No container engine answers and none can be set up here."""


class ImageError(InfrastructureError):
    """An image could not be found, pulled or built."""


class ReadinessTimeoutError(InfrastructureError):
    """A component did not become ready in time. The message carries its log tail and a hint."""


class StackError(InfrastructureError):
    """The stack could not be started or torn down."""


class TransientError(InfrastructureError):
    """A component refused or reset a connection, timed out or answered 5xx (after the client's retries).
    Waits keep polling through it; one still failing when the wait ends names the component."""

    def __init__(self, component: str, detail: str) -> None:
        super().__init__(f"{component}: {detail}")
        self.component = component
        self.detail = detail


class ExpectationFailed(AssertionError, ObsdrillError):
    """A scenario expectation did not hold. The message shows the near misses."""


SIGNAL_BASE = 128  # interrupted by signal N: exit 128 + N (SIGINT 130, SIGTERM 143), after the teardown ran


class Interrupted(KeyboardInterrupt):
    """A signal (SIGTERM or SIGINT) ends the run. A KeyboardInterrupt, so pytest stops the session as
    interrupted and still runs every fixture's teardown (the stack's)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum


def interrupted_code(exc: BaseException) -> int:
    """128 + the signal (SIGINT when the interrupt carries none)."""
    return SIGNAL_BASE + int(getattr(exc, "signum", 2))
