"""Runnable examples: `python -m deltaw.examples` lists them; `python -m deltaw.examples NAME` (or
`python -m deltaw.examples.NAME`) runs one."""
