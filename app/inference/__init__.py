"""Digits to probabilities: the model (``model``: load, check, warm up), the runtimes that run it,
micro-batching across requests (``batching``), and the CPU placement of its thread (``affinity``);
``predictor`` puts them together for the routes.
"""
