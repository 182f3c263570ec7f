"""obsdrill harness: the engine that starts the stack, injects faults and checks what the stack saw."""

__version__ = "0.1.0"
