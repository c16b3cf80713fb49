"""What the tests share: the test app's constants and helpers (importable as ``support``
from every test folder through pytest's ``pythonpath``)."""
