"""`python -m seqbook.grading ...` is `seqbook ...` (see seqbook.cli)."""
import sys

from seqbook.cli import main

sys.exit(main())
