"""Request contents to model inputs: ``(28, 28)`` float32 in 0-1, white on black, as MNIST has them.

JSON pixel arrays are checked and scaled (``pixels``). Images go through ``pipeline``: decoded
(``decode``), their paper removed (``paper``), their marks found (``marks``) and normalised to
MNIST's format (``normalize``), on a thread pool of their own (``pool``); ``candidates`` is what the
stage hands to the model.
"""
