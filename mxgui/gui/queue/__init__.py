"""Qt models, dialogs and forms shared by the queue bricks (``bricks/queue_*.py``).

- :mod:`~mxgui.gui.queue.follower`: replays a Qt-free model's signals on the GUI thread;
- :mod:`~mxgui.gui.queue.tree_model`: the queue as an incremental ``QAbstractItemModel``;
- :mod:`~mxgui.gui.queue.history_model`: the executed entries as a table;
- :mod:`~mxgui.gui.queue.parameter_form`: a task's parameters as a typed form;
- :mod:`~mxgui.gui.queue.dialogs`: run confirmation and samples from the sample changer;
- :mod:`~mxgui.gui.queue.start_prompt`: restore after a crash, or say why a file was set aside.
"""
