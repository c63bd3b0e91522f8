"""The clients users load their targets with (``http``: ``HttpSession`` and ``HttpUser``).

Each protocol lives in its own submodule, imported on demand, so that a userfile pays only
for the clients it uses.
"""
