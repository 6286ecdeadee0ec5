"""The app's tests (a package, so that its conftest.py is not mistaken for tests/conftest.py)."""
