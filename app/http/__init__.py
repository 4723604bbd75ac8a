"""HTTP plumbing around every route: middleware, request ids, API keys, metrics, logging, the fast route.

Nothing here knows about digits; a request passes through it on the way in (body limit, request
id, metrics) and its answer on the way out.
"""
