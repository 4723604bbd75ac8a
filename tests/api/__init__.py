"""API tests: the real app with the shipped model, in this process (TestClient or a uvicorn thread)."""
