"""Runnable examples: `python -m deltaw.examples` lists them, `python -m deltaw.examples NAME` runs one
(or `python -m deltaw.examples.NAME`)."""
