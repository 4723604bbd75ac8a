"""Process tests: ``python -m app`` as a process of its own (signals, logs, hostile input, memory)."""
