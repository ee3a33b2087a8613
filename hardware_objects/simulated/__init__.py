"""The simulated beamline: the embedded default and the test fixture."""
