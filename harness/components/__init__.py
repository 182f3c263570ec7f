"""One small module per technology, each a Testcontainers container with ``with_*`` builders."""
