"""Shared test settings: hypothesis runs derandomized (reproducible) and without deadlines, and
the one check switch (GRAPHGRAD_VERIFY) is on, so every pass result is verified."""
import os

from hypothesis import settings

os.environ.setdefault("GRAPHGRAD_VERIFY", "1")

settings.register_profile("graphgrad", deadline=None, derandomize=True, max_examples=60,
                          print_blob=True)
settings.register_profile("thorough", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "graphgrad"))
