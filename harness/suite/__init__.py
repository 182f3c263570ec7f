"""The built-in acceptance suite: every scenario file, run on the real stack (``obsdrill run``)."""
