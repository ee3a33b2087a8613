import sys

from mxgui.gui.app import main

sys.exit(main())
