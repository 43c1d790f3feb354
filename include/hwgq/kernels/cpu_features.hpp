// Run-time choice of the instruction set the packed kernels use. The build may target any
// x86-64 CPU, so the fast paths are compiled for their own instruction sets and chosen here
// from what the CPU (cpuid) and the operating system (xgetbv: the register state it saves)
// both support.
#pragma once

#include <string>
#include <vector>

namespace hwgq::kernels {

// kAvx2 needs AVX2 + FMA + POPCNT; kAvx512 needs AVX-512 F + BW + VL + VPOPCNTDQ.
enum class Isa { kScalar, kAvx2, kAvx512 };

struct CpuFeatures {
  bool popcnt = false;
  bool avx2 = false;  // with FMA and the OS saving the YMM state
  bool fma = false;
  bool avx512f = false;  // the AVX-512 flags also need the OS saving the ZMM and mask state
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vpopcntdq = false;
  bool avx512bitalg = false;
  bool avx512vnni = false;
  // AMX tiles with int8 dot products: the CPU has them, the OS saves the tile state and
  // (Linux) granted this process the permission to use it (asked for once at detection).
  bool amx_int8 = false;
  std::string cpu_name;  // the brand string, e.g. "AMD EPYC 9654 96-Core Processor"
};

// What this CPU and OS support (detected once).
const CpuFeatures& cpu_features();

// The fastest instruction set this CPU supports.
Isa best_isa();
// The one the kernels use now: HWGQ_ISA=scalar|avx2|avx512 at first use (hwgq::Error when
// the value is unknown or the CPU lacks it), else best_isa(), unless force_isa changed it.
Isa active_isa();
// Makes the kernels use `isa` from now on; hwgq::Error when the CPU lacks it.
void force_isa(Isa isa);
// Every instruction set this CPU can run, scalar first.
std::vector<Isa> supported_isas();
bool isa_supported(Isa isa);
// "scalar", "avx2", "avx512".
const char* isa_name(Isa isa);
// Parses isa_name's strings; hwgq::Error for any other.
Isa parse_isa(const std::string& name);
// The CPU name and its relevant features, e.g. "AMD Ryzen ... [avx2 fma avx512f ...]".
std::string cpu_feature_string();

// Restores the previous active instruction set when it goes out of scope (tests, benchmarks).
class ScopedIsa {
 public:
  explicit ScopedIsa(Isa isa);
  ~ScopedIsa();
  ScopedIsa(const ScopedIsa&) = delete;
  ScopedIsa& operator=(const ScopedIsa&) = delete;

 private:
  Isa previous_;
};

}  // namespace hwgq::kernels
