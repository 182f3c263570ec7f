"""Service level objectives: OpenSLO documents (slo/objectives.yml of a config dir), the multiwindow,
multi-burn-rate alerts generated from them, and the error budget each scenario consumed."""
