"""The TensorFlow Serving REST API (KServe v1) under ``/v1``."""
