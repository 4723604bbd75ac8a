"""The routes, one package per protocol, each a codec (request -> digits, answers -> response) and its
routes: ``native`` (``/predict``), ``open_inference`` (``/v2``), ``tf_serving`` (``/v1``); beside them
health, model metadata, the demo page and metrics.
"""
