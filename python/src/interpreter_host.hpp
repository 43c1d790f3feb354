// Where the Python layer finds its interpreter. Inside the extension module Python is
// already running; the CLI starts an interpreter the first time a net has a Python layer
// (cli_interpreter.cpp), so runs without one never load Python at all.
#pragma once

namespace hwgq::python {

// Makes sure an interpreter runs; cheap after the first call.
void ensure_interpreter();

// Whether a Python exception raised by a Python layer may travel up unchanged: inside the
// extension, pybind11 hands it back to the calling Python code as it was; the CLI knows
// only hwgq::Error and gets it as one.
bool python_exceptions_propagate();

}  // namespace hwgq::python
