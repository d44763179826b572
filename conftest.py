"""Make every function's code root importable, as Lambda does with CodeUri; declare the shared
fixtures; run the layers cheapest first (unit → integration → contract/infrastructure → e2e)."""
import pathlib
import sys

_ROOT = pathlib.Path(__file__).parent
for _code_root in sorted((_ROOT / "functions").iterdir()):
    if _code_root.is_dir() and str(_code_root) not in sys.path:
        sys.path.insert(0, str(_code_root))
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

# Fixtures used across test modules (pytest reads this only in the root conftest).
pytest_plugins = [
    "tests.support.offline",
    "tests.integration.stacks_world",
    "tests.integration.circulation_world",
    "tests.integration.inventory_world",
    "tests.integration.records_world",
    "tests.integration.disposal_world",
    "tests.integration.destruction_world",
    "tests.integration.transfer_world",
]

# A layer's tests run only after every cheaper layer's: a broken rule fails in seconds, not after the sagas.
LAYERS = ("unit", "architecture", "integration", "contract", "infrastructure", "e2e")


def pytest_collection_modifyitems(items):
    def layer(item) -> int:
        parts = pathlib.Path(str(item.path)).relative_to(_ROOT).parts
        folder = parts[1] if len(parts) > 2 and parts[0] == "tests" else ""
        # the e2e mark (tests/contract's fuzzer too) means a local system: last, whatever the folder
        if item.get_closest_marker("e2e"):
            return len(LAYERS)
        return LAYERS.index(folder) if folder in LAYERS else len(LAYERS)

    items.sort(key=layer)  # stable: within a layer, the collected order stays
