// The extension module runs inside the interpreter that imported it.
#include "interpreter_host.hpp"

namespace hwgq::python {

void ensure_interpreter() {}

bool python_exceptions_propagate() { return true; }

}  // namespace hwgq::python
