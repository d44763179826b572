"""Make every function's code root importable, as Lambda does with CodeUri."""
import pathlib
import sys

_ROOT = pathlib.Path(__file__).parent
for _code_root in sorted((_ROOT / "functions").iterdir()):
    if _code_root.is_dir() and str(_code_root) not in sys.path:
        sys.path.insert(0, str(_code_root))
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
