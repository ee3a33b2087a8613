"""Bricks: one module per brick, each a Qt widget bound to hardware objects.

A layout names a brick by its class (``MotorBrick``), found in the module of the same
name in snake case (``bricks/motor_brick.py``). Bricks import ``mxgui.gui`` and the
abstract interfaces, never a simulated class.
"""
