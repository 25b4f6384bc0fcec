import sys

from rfa_dash.cli import main

sys.exit(main())
