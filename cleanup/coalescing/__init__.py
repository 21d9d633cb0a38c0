"""Coalescing: extracted rows into core. The experience and profile kinds, the kind that
follows a declarative mapping, and the tick that hands reported runs to them. Built on the
job engine (cleanup.jobs); knows nothing of gaps."""
