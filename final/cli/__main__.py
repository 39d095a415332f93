"""``python -m final.cli``: the same as the ``objstore`` console script."""
import sys

from final.cli.main import main

sys.exit(main())
