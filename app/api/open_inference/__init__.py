"""The Open Inference Protocol (KServe v2, NVIDIA Triton) under ``/v2``."""
