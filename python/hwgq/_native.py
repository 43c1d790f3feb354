"""The C++ bindings: the hwgq CLI's built-in `_hwgq` when running inside it (Python
layers then see the CLI's own blobs), else the extension module next to this file."""
import sys

if "_hwgq" in sys.builtin_module_names:
    import _hwgq as native  # noqa: F401
else:
    from . import _hwgq as native  # noqa: F401
