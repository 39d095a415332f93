"""Root test configuration: each chapter's conftest builds its cluster with ``support``."""
