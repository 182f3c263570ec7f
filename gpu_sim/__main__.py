"""``python -m gpu_sim``: see :mod:`gpu_sim.cli`."""

from gpu_sim.cli import run

if __name__ == "__main__":
    run()
