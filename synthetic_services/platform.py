"""The platform's services and who calls whom, as pure data: no imports, nothing runs. The catalog and the
command line read it here, and so does the harness (harness/platform.py): the one list of the services."""

# The five services of the platform under test, callees after their callers (docs/platform.md).
SERVICES = ("gateway", "backend", "cv-analyzer", "ai-generation", "payments")
SINK = "sink"  # the harness's notification sink: served by this package, not part of the platform

# Caller -> the services it calls; one not listed calls none.
DOWNSTREAMS: dict[str, tuple[str, ...]] = {
    "gateway": ("backend",),
    "backend": ("cv-analyzer", "ai-generation", "payments"),
    "ai-generation": ("payments",),
}
