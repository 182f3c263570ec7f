"""Is a compressed run faithful? ``lint`` (harness/certify/lint.py) names the settings the time factor cannot
scale; ``certify_run`` (harness/certify/certificate.py) compares a compressed run's alert timeline with the
one promtool gives for the unscaled rules on the same samples stretched onto real time."""
