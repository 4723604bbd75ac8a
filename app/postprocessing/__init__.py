"""Model outputs to answers: one reading kept per digit, and what the answer may claim about it."""
