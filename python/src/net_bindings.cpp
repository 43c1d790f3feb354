// hwgq.Net and hwgq.Layer: the C++ side of pycaffe's Net. python/hwgq/net.py adds the
// pycaffe-shaped parts (blobs, params, forward(**inputs), backward(**diffs)) on top.
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "hwgq/layer.hpp"
#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"

namespace py = pybind11;

namespace hwgq::python {
namespace {

// Names of `subset`'s blobs, in the net's blob order of each.
std::vector<std::string> blob_names_of(const Net& net, const std::vector<Blob*>& subset) {
  std::vector<std::string> names;
  for (const Blob* wanted : subset) {
    for (size_t i = 0; i < net.blobs().size(); ++i) {
      if (net.blobs()[i].get() == wanted) {
        names.push_back(net.blob_names()[i]);
        break;
      }
    }
  }
  return names;
}

std::shared_ptr<Net> make_net(const std::string& model, const std::vector<std::string>& weights, int phase,
                              int level, const std::vector<std::string>& stages) {
  HWGQ_REQUIRE(phase == TRAIN || phase == TEST, "phase must be hwgq.TRAIN or hwgq.TEST, got " << phase);
  NetParameter param;
  read_text_proto(model, &param);
  NetState* state = param.mutable_state();
  state->set_level(level);
  for (const auto& stage : stages) state->add_stage(stage);
  auto net = std::make_shared<Net>(param, static_cast<Phase>(phase), model);
  for (const auto& path : weights) net->copy_trained_layers_from(path);
  return net;
}

bool is_int(const py::handle& value) {
  return py::isinstance<py::int_>(value) && !py::isinstance<py::bool_>(value);
}

// A path (str or os.PathLike) as a string; anything else raises hwgq::Error.
std::string path_of(const py::handle& value, const char* what) {
  HWGQ_REQUIRE(py::isinstance<py::str>(value) || py::hasattr(value, "__fspath__"),
               what << " must be a path, got " << py::str(py::repr(value)).cast<std::string>());
  return py::str(py::module_::import("os").attr("fspath")(value)).cast<std::string>();
}

void add_weights(const py::handle& value, std::vector<std::string>* weights) {
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    for (const auto& item : value) weights->push_back(path_of(item, "weights"));
  } else {
    weights->push_back(path_of(value, "weights"));
  }
}

// pycaffe's forms: Net(model, phase), Net(model, weights, phase), Net(model, phase,
// weights=...), and Net(model, weights=None, phase=TEST).
std::shared_ptr<Net> make_net_from_python(const py::object& model, const py::args& args, const py::object& weights,
                                          const py::object& phase, int level, const std::vector<std::string>& stages) {
  HWGQ_REQUIRE(args.size() <= 2, "Net takes the model and at most a weights path and a phase, got "
                                     << args.size() + 1 << " positional arguments");
  std::vector<std::string> weight_paths;
  int chosen_phase = -1;
  for (const auto& arg : args) {
    if (is_int(arg)) {
      HWGQ_REQUIRE(chosen_phase < 0 && phase.is_none(), "Net: the phase is given twice");
      chosen_phase = arg.cast<int>();
    } else {
      HWGQ_REQUIRE(weights.is_none(), "Net: the weights are given twice");
      add_weights(arg, &weight_paths);
    }
  }
  if (!weights.is_none()) add_weights(weights, &weight_paths);
  if (!phase.is_none()) {
    HWGQ_REQUIRE(is_int(phase), "phase must be hwgq.TRAIN or hwgq.TEST");
    chosen_phase = phase.cast<int>();
  }
  return make_net(path_of(model, "model"), weight_paths, chosen_phase < 0 ? TEST : chosen_phase, level, stages);
}

}  // namespace

void define_net(py::module_& module) {
  py::class_<Layer, std::unique_ptr<Layer, py::nodelete>>(module, "Layer_",
                                                          "A layer of a net (net.layers[i]); its weights are blobs.")
      .def_property_readonly("name", &Layer::name)
      .def_property_readonly("type", [](const Layer& layer) { return std::string(layer.type()); })
      .def_property_readonly("blobs", [](Layer& layer) { return layer.blobs(); })
      .def(
          "_add_blob",
          [](Layer& layer, const std::vector<int>& shape) {
            layer.blobs().push_back(std::make_shared<Blob>(shape));
            return layer.blobs().back();
          },
          py::arg("shape"))
      .def("__repr__", [](const Layer& layer) {
        return "<hwgq layer \"" + layer.name() + "\" (" + std::string(layer.type()) + ")>";
      });

  py::class_<Net, std::shared_ptr<Net>>(module, "Net")
      .def(py::init(&make_net_from_python), py::arg("model"), py::arg("weights") = py::none(),
           py::arg("phase") = py::none(), py::arg("level") = 0, py::arg("stages") = std::vector<std::string>(),
           "Net(model, weights=None, phase=hwgq.TEST, level=0, stages=()); pycaffe's positional forms "
           "Net(model, phase) and Net(model, weights, phase) work too.")
      .def_property_readonly("name", &Net::name)
      .def_property_readonly("phase", [](const Net& net) { return static_cast<int>(net.phase()); })
      .def_property_readonly("_blob_names", &Net::blob_names)
      .def_property_readonly("_blobs", &Net::blobs)
      .def_property_readonly("_layer_names", &Net::layer_names)
      .def_property_readonly(
          "layers",
          [](const Net& net) {
            std::vector<Layer*> layers;
            for (const auto& layer : net.layers()) layers.push_back(layer.get());
            return layers;
          },
          py::return_value_policy::reference_internal)
      .def_property_readonly("inputs", [](const Net& net) { return blob_names_of(net, net.input_blobs()); })
      .def_property_readonly("outputs", &Net::output_blob_names)
      .def("_top_names",
           [](const Net& net, int layer) {
             HWGQ_REQUIRE(layer >= 0 && layer < (int)net.layers().size(), "no layer " << layer);
             std::vector<std::string> names;
             for (int id : net.top_ids(layer)) names.push_back(net.blob_names()[id]);
             return names;
           })
      .def("_bottom_names",
           [](const Net& net, int layer) {
             HWGQ_REQUIRE(layer >= 0 && layer < (int)net.layers().size(), "no layer " << layer);
             std::vector<std::string> names;
             for (int id : net.bottom_ids(layer)) names.push_back(net.blob_names()[id]);
             return names;
           })
      .def("_forward", &Net::forward_from_to, py::arg("start"), py::arg("end"))
      .def("_backward", &Net::backward_from_to, py::arg("start"), py::arg("end"))
      .def("reshape", &Net::reshape, "Re-runs every layer's reshape after an input blob changed shape.")
      .def("clear_param_diffs", &Net::clear_param_diffs)
      .def("copy_from", py::overload_cast<const std::string&>(&Net::copy_trained_layers_from), py::arg("path"),
           "Copies weights, layer by layer by name, from a .caffemodel (or text NetParameter).")
      .def(
          "save",
          [](const Net& net, const std::string& path, bool write_diff) {
            NetParameter param;
            net.to_proto(&param, write_diff);
            write_binary_proto(param, path);
          },
          py::arg("path"), py::arg("write_diff") = false, "Writes the weights as a binary .caffemodel.")
      .def("share_with", &Net::share_trained_layers_with, py::arg("other"), py::keep_alive<1, 2>(),
           "Makes this net's layers use the other net's weight buffers, by layer name.")
      .def("__repr__", [](const Net& net) { return "<hwgq.Net \"" + net.name() + "\">"; });
}

}  // namespace hwgq::python
