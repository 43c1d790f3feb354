// The extension module hwgq._hwgq (python/hwgq/__init__.py builds the public API on it).
#include <glog/logging.h>
#include <pybind11/pybind11.h>

#include "bindings.hpp"

PYBIND11_MODULE(_hwgq, module) {
  // Solver progress goes to stderr, as in the CLI, without glog's "before
  // InitGoogleLogging" warning.
  if (!google::IsGoogleLoggingInitialized()) {
    FLAGS_logtostderr = true;
    google::InitGoogleLogging("hwgq");
  }
  hwgq::python::define_module(module);
}
