// hwgq.Solver and hwgq.get_solver / SGDSolver / NesterovSolver / AdamSolver, as pycaffe's.
// Ctrl-C during step() or solve() stops the solver, which snapshots as `hwgq train` does on
// SIGINT, and then raises KeyboardInterrupt.
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"

namespace py = pybind11;

namespace hwgq::python {
namespace {

// A solver of the given kind whatever the file's `type` says (pycaffe's SGDSolver(path)).
template <class Kind>
std::unique_ptr<Kind> make_solver_of_kind(const std::string& path, const char* type) {
  SolverParameter param;
  read_text_proto(path, &param);
  param.set_type(type);
  param.clear_solver_type();
  validate_solver(param, path);
  return std::make_unique<Kind>(param, path);
}

// Runs the solver with Python's signal handlers polled once per iteration; a pending
// signal (KeyboardInterrupt) stops it and is raised once it has stopped.
template <class Run>
void run_interruptible(Solver& solver, Run&& run) {
  bool interrupted = false;
  solver.set_stop_request([&interrupted] {
    if (!interrupted && PyErr_CheckSignals() != 0) interrupted = true;
    return interrupted;
  });
  try {
    run();
  } catch (...) {
    solver.set_stop_request(nullptr);
    throw;
  }
  solver.set_stop_request(nullptr);
  if (interrupted) throw py::error_already_set();
}

}  // namespace

void define_solver(py::module_& module) {
  py::class_<Solver>(module, "Solver")
      .def_property_readonly(
          "net", [](Solver& solver) { return &solver.net(); }, py::return_value_policy::reference_internal,
                             "The training net.")
      .def_property_readonly(
          "test_nets",
          [](const Solver& solver) {
            std::vector<Net*> nets;
            for (const auto& net : solver.test_nets()) nets.push_back(net.get());
            return nets;
          },
          py::return_value_policy::reference_internal)
      .def_property_readonly("iter", &Solver::iter)
      .def(
          "step", [](Solver& solver, int iters) { run_interruptible(solver, [&] { solver.step(iters); }); },
          py::arg("iters"), "Runs this many iterations (with testing, display and snapshots).")
      .def(
          "solve",
          [](Solver& solver, const std::string& resume) {
            run_interruptible(solver, [&] { solver.solve(resume); });
          },
          py::arg("resume") = "", "Trains to max_iter, resuming from a .solverstate when given.")
      .def("snapshot", &Solver::snapshot, "Writes <prefix>_iter_<N>.caffemodel and .solverstate; returns the model path.")
      .def("restore", &Solver::restore, py::arg("path"), "Restores the state written by snapshot().")
      .def("test_all", &Solver::test_all, "Runs every test net; returns the first one's (name, mean value) pairs.")
      .def("apply_update", &Solver::apply_update);

  py::class_<SGDSolver, Solver>(module, "SGDSolver")
      .def(py::init([](const std::string& path) { return make_solver_of_kind<SGDSolver>(path, "SGD"); }),
           py::arg("path"));
  py::class_<NesterovSolver, Solver>(module, "NesterovSolver")
      .def(py::init([](const std::string& path) { return make_solver_of_kind<NesterovSolver>(path, "Nesterov"); }),
           py::arg("path"));
  py::class_<AdamSolver, Solver>(module, "AdamSolver")
      .def(py::init([](const std::string& path) { return make_solver_of_kind<AdamSolver>(path, "Adam"); }),
           py::arg("path"));
  module.def(
      "get_solver", [](const std::string& path) { return create_solver(path); }, py::arg("path"),
      "The solver of the kind the file's `type` names (SGD when unset).");
}

}  // namespace hwgq::python
