# Finds cuDNN (cudnn.h and libcudnn) and defines the imported target CUDNN::cudnn.
# Looks next to the CUDA toolkit first (find CUDAToolkit before this module), then in the
# usual system places; CUDNN_ROOT points elsewhere.
#
# Used by hwgq's CUDA build and, installed next to hwgqConfig.cmake, by projects linking
# a CUDA-enabled hwgq::hwgq.
#
# Result variables: CUDNN_FOUND, CUDNN_LIBRARY, CUDNN_INCLUDE_DIR.

find_path(CUDNN_INCLUDE_DIR cudnn.h
          HINTS ${CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda
          PATH_SUFFIXES include)
find_library(CUDNN_LIBRARY cudnn
             HINTS ${CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda
             PATH_SUFFIXES lib64 lib)
mark_as_advanced(CUDNN_INCLUDE_DIR CUDNN_LIBRARY)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CUDNN REQUIRED_VARS CUDNN_LIBRARY CUDNN_INCLUDE_DIR)

if(CUDNN_FOUND AND NOT TARGET CUDNN::cudnn)
  add_library(CUDNN::cudnn UNKNOWN IMPORTED)
  set_target_properties(CUDNN::cudnn PROPERTIES
    IMPORTED_LOCATION "${CUDNN_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CUDNN_INCLUDE_DIR}")
endif()
