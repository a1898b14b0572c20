import sys
from pathlib import Path

# Let the tests import workvoice_interop wherever pytest is started from.
sys.path.insert(0, str(Path(__file__).resolve().parent))
