#include "commands.hpp"

namespace hwgq::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"train", "train --solver=S [--weights=W | --snapshot=X] [--gpu=N]",
       "train a net; --weights fine-tunes from weights, --snapshot resumes a .solverstate", train},
      {"test", "test --model=M --weights=W [--iterations=N | --iterations=0] [--gpu=N]",
       "evaluate a net's outputs (accuracy, loss) over N batches of its TEST phase; --iterations=0 covers "
       "its data source once", test},
      {"time", "time --model=M --iterations=N [--batch=B] [--phase=TRAIN|TEST] [--gpu=N]",
       "time forward and backward per layer, and the total; M may be a packed model (forward only)", time},
      {"quantizer", "quantizer [--bits=B | --levels=K] [--method=uniform|lloyd] [--print_param]",
       "HWGQ levels, thresholds and error for the half-wave Gaussian (uniform step or Lloyd-Max)", quantizer},
      {"histogram", "histogram --model=M --weights=W [--iterations=N] [--output=DIR]",
       "plot each Quant layer's inputs against the half-wave Gaussian, levels and thresholds marked (SVG)",
       histogram},
      {"binarize", "binarize --model=M --weights=W --output=DIR",
       "export binary layers as plain layers holding alpha * sign(W), checked to give identical outputs",
       binarize},
      {"export",
       "export --model=DEPLOY|TRAIN_VAL --weights=W --output=FILE [--format=packed|onnx] [--transform_from=TRAIN_VAL] "
       "[--verify=N]",
       "write a packed model (sign bits, 2-bit codes) with a size report, checked against the float net; or, with "
       "--format=onnx, a standard ONNX model",
       export_model},
      {"infer", "infer --model=FILE --images=FILES|LMDB|IDX [--labels=IDX] [--batch=B] [--top_k=K]",
       "classify images with a packed model: top-k classes per image, top-1/top-5 accuracy where labels are known",
       infer},
      {"plot", "plot --metrics=RUN_metrics.jsonl[,...] --output=FILE.svg|FILE.png [--legend=A,B] [--series=S,...] "
               "[--x=iteration|epoch --epoch_size=N]",
       "training curves (loss, test outputs, learning rate) of one or more runs from their metrics files, as SVG or PNG",
       plot},
      {"summary", "summary --model=M [--weights=W] [--phase=TRAIN|TEST] [--batch=B] [--format=table|json]",
       "per layer: output shape, parameters, MACs, weight/activation bits, float and packed memory; totals and "
       "the share of MACs with 1-bit weights",
       summary},
      {"recalibrate", "recalibrate --model=M --weights=W --iterations=N --output=W2",
       "re-estimate BatchNorm statistics over N TRAIN-phase batches with the weights frozen; writes new weights",
       recalibrate},
      {"device_query", "device_query", "list the GPUs this build can use", device_query},
      {"convert_imageset",
       "convert_imageset [--resize_height=H --resize_width=W --shuffle --encoded --encode_type=jpg|png --gray] "
       "ROOTFOLDER/ LISTFILE DB_NAME",
       "write the images of a \"path label\" list into a new LMDB of Datums", convert_imageset},
      {"compute_image_mean", "compute_image_mean DB [OUTPUT.binaryproto]",
       "the mean image of an LMDB, for transform_param.mean_file", compute_image_mean},
      {"convert", "convert --input=X --output=Y [--to=text|binary] [--type=net|blob|solverstate|solver]",
       "rewrite a .caffemodel, .binaryproto or .solverstate as text protobuf, or text back as binary", convert},
  };
  return table;
}

}  // namespace hwgq::cli
