"""Qt-free core of mxgui: hardware objects, their repository, signals.

Nothing in this package may import Qt (a test and an import-linter contract check it).
"""
