# Finds OpenBLAS and defines the imported target OpenBLAS::OpenBLAS (library + cblas.h).
#
# Prefers the OpenMP build where Debian's libopenblas-openmp-dev is installed, so that its
# GEMMs and hwgq's own OpenMP loops share one thread pool. The pthread build keeps a second
# pool whose spinning threads fight the first for the cores (measured on 2 cores: a LeNet
# training iteration took 24 ms with it, 9 ms with the OpenMP build). Otherwise falls back
# to whatever OpenBLAS pkg-config reports.
#
# Used by hwgq's own build and, installed next to hwgqConfig.cmake, by projects linking
# hwgq::hwgq, so that both resolve the same library.
#
# Result variables: OpenBLAS_FOUND, OpenBLAS_LIBRARY, OpenBLAS_INCLUDE_DIR,
# OpenBLAS_IS_OPENMP_BUILD.

find_library(OpenBLAS_OPENMP_LIBRARY NAMES openblas
             PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
find_path(OpenBLAS_OPENMP_INCLUDE_DIR cblas.h
          PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
mark_as_advanced(OpenBLAS_OPENMP_LIBRARY OpenBLAS_OPENMP_INCLUDE_DIR)

# The OpenMP build links GCC's libgomp, but clang's -fopenmp uses LLVM's libomp: two OpenMP
# runtimes in one process would each keep their own threads and settings. A clang build
# takes Debian's pthread build instead.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  find_library(OpenBLAS_PTHREAD_LIBRARY NAMES openblas
               PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread NO_DEFAULT_PATH)
  find_path(OpenBLAS_PTHREAD_INCLUDE_DIR cblas.h
            PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread NO_DEFAULT_PATH)
  mark_as_advanced(OpenBLAS_PTHREAD_LIBRARY OpenBLAS_PTHREAD_INCLUDE_DIR)
endif()

if(OpenBLAS_PTHREAD_LIBRARY AND OpenBLAS_PTHREAD_INCLUDE_DIR)
  set(OpenBLAS_LIBRARY ${OpenBLAS_PTHREAD_LIBRARY})
  set(OpenBLAS_INCLUDE_DIR ${OpenBLAS_PTHREAD_INCLUDE_DIR})
  set(OpenBLAS_IS_OPENMP_BUILD FALSE)
elseif(OpenBLAS_OPENMP_LIBRARY AND OpenBLAS_OPENMP_INCLUDE_DIR)
  set(OpenBLAS_LIBRARY ${OpenBLAS_OPENMP_LIBRARY})
  set(OpenBLAS_INCLUDE_DIR ${OpenBLAS_OPENMP_INCLUDE_DIR})
  set(OpenBLAS_IS_OPENMP_BUILD TRUE)
else()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PC_OpenBLAS QUIET openblas)
  endif()
  find_library(OpenBLAS_PKGCONFIG_LIBRARY NAMES openblas HINTS ${PC_OpenBLAS_LIBRARY_DIRS})
  find_path(OpenBLAS_PKGCONFIG_INCLUDE_DIR cblas.h HINTS ${PC_OpenBLAS_INCLUDE_DIRS} PATH_SUFFIXES openblas)
  mark_as_advanced(OpenBLAS_PKGCONFIG_LIBRARY OpenBLAS_PKGCONFIG_INCLUDE_DIR)
  set(OpenBLAS_LIBRARY ${OpenBLAS_PKGCONFIG_LIBRARY})
  set(OpenBLAS_INCLUDE_DIR ${OpenBLAS_PKGCONFIG_INCLUDE_DIR})
  set(OpenBLAS_IS_OPENMP_BUILD FALSE)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenBLAS REQUIRED_VARS OpenBLAS_LIBRARY OpenBLAS_INCLUDE_DIR)

if(OpenBLAS_FOUND AND NOT TARGET OpenBLAS::OpenBLAS)
  add_library(OpenBLAS::OpenBLAS UNKNOWN IMPORTED)
  set_target_properties(OpenBLAS::OpenBLAS PROPERTIES
    IMPORTED_LOCATION "${OpenBLAS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIR}")
endif()
