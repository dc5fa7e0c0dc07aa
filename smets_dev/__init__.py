"""Development tools for SMETS HAN: not shipped with the integration.

HACS installs ``custom_components/smets/`` alone; what is here only serves the
tests, ``scripts/bench`` and a developer's command line:

- :mod:`smets_dev.ncp`: an emulated Silicon Labs EZSP radio (ASH over a pty or
  TCP) in front of the simulated HAN, behaving as docs/radio-conformance.md says;
- :mod:`smets_dev.bench`: the benchmark behind ``scripts/bench``;
- :mod:`smets_dev.hostile`: hostile frames for the fuzz tests and the benchmark;
- ``python -m smets_dev`` (``scripts/bench`` runs it through ``scripts/han_standalone.py``, without Home Assistant loaded): the
  simulator's command line (demo, capture, ncp, bench).

The simulated HAN itself (``custom_components/smets/han/simulator``) stays in
the integration: it is the built-in meter a user can try with no hardware.
"""
