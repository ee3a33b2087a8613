import sys

from mxgui.gui.command_line import main

sys.exit(main())
