// The CLI's interpreter: started on the first Python layer, with the hwgq package, the
// working directory and an activated virtual environment ($VIRTUAL_ENV) on sys.path, and
// finalized at exit so that Python's buffered output is flushed. Python's own signal
// handlers stay out: SIGINT and SIGHUP belong to `hwgq train`. Between calls the GIL is released, so a Python layer may run on any thread
// (each call takes the GIL with gil_scoped_acquire).
#include <pybind11/embed.h>

#include <cstdlib>
#include <string>
#include <mutex>

#include "interpreter_host.hpp"

namespace py = pybind11;

namespace hwgq::python {
namespace {

PyThreadState* saved_main_thread = nullptr;

void finalize_at_exit() {
  PyEval_RestoreThread(saved_main_thread);
  py::finalize_interpreter();
}

}  // namespace

void ensure_interpreter() {
  static std::once_flag started;
  std::call_once(started, [] {
    py::initialize_interpreter(/*init_signal_handlers=*/false);
    {
      py::module_ sys = py::module_::import("sys");
      // The embedded interpreter's prefix is the system one; a venv the user activated
      // (its NumPy, its packages) is added the way its own python would see it.
      if (const char* venv = std::getenv("VIRTUAL_ENV")) {
        const py::object version = sys.attr("version_info");
        const std::string site = std::string(venv) + "/lib/python" + py::str(version.attr("major")).cast<std::string>() +
                                 "." + py::str(version.attr("minor")).cast<std::string>() + "/site-packages";
        py::module_::import("site").attr("addsitedir")(site);
        py::list path = sys.attr("path");
        // addsitedir appends; the venv's packages should win over the system's.
        path.attr("remove")(site);
        path.insert(0, site);
      }
      py::list path = sys.attr("path");
      // The package built next to this CLI (its _hwgq comes from the CLI itself, see
      // cli_embedded_module.cpp), then the working directory for the layers' modules;
      // PYTHONPATH entries were put first by the interpreter already.
      path.append(HWGQ_PYTHON_PACKAGE_DIR);
      path.insert(0, "");
    }
    saved_main_thread = PyEval_SaveThread();
    std::atexit(finalize_at_exit);
  });
}

bool python_exceptions_propagate() { return false; }

}  // namespace hwgq::python
