"""Hardware-object classes, one module per class; Qt-free.

``<object class="simulated.motor.SimulatedMotor">`` in an XML file names
``hardware_objects.simulated.motor.SimulatedMotor``.
"""
