"""One HTTP session per client, with urllib3 retries: idempotent requests are retried on connection errors,
read errors and 5xx answers (with backoff); other requests (POST) only on connection errors, which happen before
the server saw anything. What is still failing after the retries is raised as :class:`Unavailable`, a
:class:`~harness.errors.TransientError` naming the component; waits keep polling through it
(harness/assertions/wait.py) and only a persistent one fails the wait."""

from __future__ import annotations

from typing import Any

import elastic_transport
import elasticsearch
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from harness.errors import TransientError

RETRIES = 3
READ_RETRIES = 1  # a reset or read timeout after the request went out: once (a hanging server costs 2 timeouts)
BACKOFF = 0.2  # seconds; urllib3 sleeps 0, 0.4, 0.8 between the retries
RETRY_STATUS = (500, 502, 503, 504)


def retry_policy() -> Retry:
    """Retries on connect errors for every method; on read errors (resets, timeouts) and RETRY_STATUS only for
    idempotent ones (urllib3's default allowed_methods: no POST)."""
    return Retry(total=RETRIES, connect=RETRIES, read=READ_RETRIES, status=RETRIES, other=0, backoff_factor=BACKOFF,
                 status_forcelist=RETRY_STATUS, raise_on_status=False, respect_retry_after_header=False)


class Unavailable(TransientError, requests.ConnectionError):
    """A component refused, reset, timed out or answered 5xx after the retries. Also a requests
    ConnectionError, so code that catches requests' errors (readiness probes) still does."""


def _reason(error: BaseException) -> str:
    text = str(error)
    for key in ("Connection refused", "Connection reset", "Read timed out", "Connection aborted",
                "Max retries exceeded", "Remote end closed"):
        if key in text:
            return key.lower()
    return type(error).__name__


class ComponentSession(requests.Session):
    """A requests session mounted with :func:`retry_policy` whose failures name ``component``."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component
        adapter = HTTPAdapter(max_retries=retry_policy())
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        verb = method.decode() if isinstance(method, bytes) else method
        try:
            response = super().request(method, url, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise Unavailable(self.component, f"{verb} {url!s}: {_reason(error)}") from error
        if response.status_code in RETRY_STATUS:
            raise Unavailable(self.component, f"{verb} {url!s} answered {response.status_code}: "
                                              f"{response.text[:200]}")
        return response


def session(component: str) -> ComponentSession:
    return ComponentSession(component)


ES_OPTIONS: dict[str, Any] = {"max_retries": RETRIES, "retry_on_status": (502, 503, 504), "retry_on_timeout": True}


def transient(error: BaseException) -> TransientError | None:
    """``error`` as a TransientError when it is one (ours, or Elasticsearch's connection errors and 5xx)."""
    if isinstance(error, TransientError):
        return error
    if isinstance(error, elastic_transport.ConnectionError | elastic_transport.ConnectionTimeout):
        return TransientError("elasticsearch", _reason(error))
    if isinstance(error, elasticsearch.ApiError) and error.meta.status >= 500:
        return TransientError("elasticsearch", f"answered {error.meta.status}: {str(error)[:200]}")
    return None
