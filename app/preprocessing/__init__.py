"""Request contents to MNIST digits: ``(28, 28)`` float32 in 0-1, white on black, as the model takes them.

JSON pixel arrays are checked and scaled (``pixels``); images are decoded (``decode``), normalised
to look like MNIST (``normalize``), on a thread pool of their own (``pool``).
"""
