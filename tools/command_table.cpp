#include "commands.hpp"

namespace hwgq::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"device_query", "device_query", "list the GPUs this build can use", device_query},
      {"convert_imageset",
       "convert_imageset [--resize_height=H --resize_width=W --shuffle --encoded --encode_type=jpg|png --gray] "
       "ROOTFOLDER/ LISTFILE DB_NAME",
       "write the images of a \"path label\" list into a new LMDB of Datums", convert_imageset},
      {"compute_image_mean", "compute_image_mean DB [OUTPUT.binaryproto]",
       "the mean image of an LMDB, for transform_param.mean_file", compute_image_mean},
  };
  return table;
}

}  // namespace hwgq::cli
