// In the CLI the bindings are a built-in module `_hwgq`, which the hwgq package imports in
// preference to its extension file: Python layers then see the CLI's own blobs, not those
// of a second copy of the library.
#include <pybind11/embed.h>

#include "bindings.hpp"

PYBIND11_EMBEDDED_MODULE(_hwgq, module) { hwgq::python::define_module(module); }
