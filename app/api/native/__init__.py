"""The service's own API: ``POST /predict`` and ``POST /predict/batch``."""
