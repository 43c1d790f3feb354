// NumPy views of blob memory: arrays over the blob's own buffer (no copy) that keep that
// buffer alive, so a view never dangles: after a reshape that keeps the buffer it still
// aliases the blob; after one that reallocates (or after the blob is gone) it holds the
// old values in memory that is still valid, and reading `.data` again gives the new one.
#pragma once

#include <pybind11/numpy.h>

#include "hwgq/blob.hpp"

namespace hwgq::python {

// The blob's values (diff=false) or gradients (diff=true) as a float32 array of its
// shape, made current on the host (a GPU copy that was newer is copied over first).
pybind11::array blob_view(Blob& blob, bool diff);

}  // namespace hwgq::python
