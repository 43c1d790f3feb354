#include "hwgq/kernels/cpu_features.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "hwgq/common.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define HWGQ_X86 1
#endif
#if defined(HWGQ_X86) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace hwgq::kernels {

namespace {

#ifdef HWGQ_X86
bool cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
  return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]) != 0;
}

// XCR0: which register states the OS saves on a context switch. Only valid with OSXSAVE.
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}

bool bit(unsigned value, int index) { return (value >> index) & 1u; }

// Linux enables the 8 KiB AMX tile state per process, on request: without it the first tile
// instruction faults. Granted once, it holds for every thread of the process.
bool request_amx_permission() {
#ifdef __linux__
  constexpr long kArchRequestXcompPermission = 0x1023;  // ARCH_REQ_XCOMP_PERM
  constexpr long kXfeatureTileData = 18;                // XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kArchRequestXcompPermission, kXfeatureTileData) == 0;
#else
  return false;
#endif
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#ifdef HWGQ_X86
  unsigned r[4] = {};
  if (!cpuid(0, 0, r)) return f;
  const unsigned max_leaf = r[0];
  unsigned l1[4] = {};
  cpuid(1, 0, l1);
  f.popcnt = bit(l1[2], 23);
  const bool osxsave = bit(l1[2], 27);
  const bool avx = bit(l1[2], 28);
  const bool fma = bit(l1[2], 12);
  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  // XMM (bit 1) and YMM (bit 2); AVX-512 adds the mask registers and both ZMM halves (5-7).
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
  unsigned l7[4] = {};
  if (max_leaf >= 7) cpuid(7, 0, l7);
  f.fma = fma && avx && os_ymm;
  f.avx2 = avx && os_ymm && bit(l7[1], 5);
  f.avx512f = os_zmm && bit(l7[1], 16);
  f.avx512bw = f.avx512f && bit(l7[1], 30);
  f.avx512vl = f.avx512f && bit(l7[1], 31);
  f.avx512vpopcntdq = f.avx512f && bit(l7[2], 14);
  f.avx512bitalg = f.avx512f && bit(l7[2], 12);
  f.avx512vnni = f.avx512f && bit(l7[2], 11);
  // AMX-TILE (EDX 24) and AMX-INT8 (EDX 25); XCR0 bits 17-18: the tile configuration and data.
  const bool os_tiles = (xcr0 & 0x60000) == 0x60000;
  f.amx_int8 = os_tiles && bit(l7[3], 24) && bit(l7[3], 25) && request_amx_permission();

  unsigned ext[4] = {};
  cpuid(0x80000000u, 0, ext);
  if (ext[0] >= 0x80000004u) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      unsigned b[4] = {};
      cpuid(0x80000002u + i, 0, b);
      std::memcpy(brand + 16 * i, b, 16);
    }
    std::string name(brand);
    const size_t first = name.find_first_not_of(' ');
    const size_t last = name.find_last_not_of(' ');
    f.cpu_name = first == std::string::npos ? std::string() : name.substr(first, last - first + 1);
  }
#endif
  if (f.cpu_name.empty()) f.cpu_name = "unknown CPU";
  return f;
}

std::string supported_list() {
  std::string list;
  for (Isa isa : supported_isas()) list += std::string(list.empty() ? "" : ", ") + isa_name(isa);
  return list;
}

// -1 until first use; then the Isa as an int.
std::atomic<int> g_active{-1};
std::mutex g_init_mutex;

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return f.avx2 && f.fma && f.popcnt;
    case Isa::kAvx512:
      return f.avx512f && f.avx512bw && f.avx512vl && f.avx512vpopcntdq && f.popcnt;
  }
  return false;
}

Isa best_isa() {
  if (isa_supported(Isa::kAvx512)) return Isa::kAvx512;
  if (isa_supported(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kScalar;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (isa_supported(isa)) isas.push_back(isa);
  }
  return isas;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (name == isa_name(isa)) return isa;
  }
  HWGQ_FAIL("unknown instruction set \"" << name << "\"; known: scalar, avx2, avx512");
}

void force_isa(Isa isa) {
  HWGQ_REQUIRE(isa_supported(isa), "this CPU (" << cpu_feature_string() << ") cannot run the " << isa_name(isa)
                                                << " kernels; it supports: " << supported_list());
  g_active.store(static_cast<int>(isa));
}

Isa active_isa() {
  const int current = g_active.load();
  if (current >= 0) return static_cast<Isa>(current);
  std::lock_guard<std::mutex> lock(g_init_mutex);
  if (g_active.load() < 0) {
    const char* env = std::getenv("HWGQ_ISA");
    if (env && *env) {
      const Isa wanted = parse_isa(env);
      HWGQ_REQUIRE(isa_supported(wanted), "HWGQ_ISA=" << env << " but this CPU (" << cpu_feature_string()
                                                      << ") cannot run the " << env << " kernels");
      g_active.store(static_cast<int>(wanted));
    } else {
      g_active.store(static_cast<int>(best_isa()));
    }
  }
  return static_cast<Isa>(g_active.load());
}

std::string cpu_feature_string() {
  const CpuFeatures& f = cpu_features();
  std::string s = f.cpu_name + " [";
  const std::pair<bool, const char*> flags[] = {
      {f.popcnt, "popcnt"},     {f.avx2, "avx2"},           {f.fma, "fma"},
      {f.avx512f, "avx512f"},   {f.avx512bw, "avx512bw"},   {f.avx512vl, "avx512vl"},
      {f.avx512vpopcntdq, "avx512vpopcntdq"}, {f.avx512bitalg, "avx512bitalg"}, {f.avx512vnni, "avx512vnni"},
      {f.amx_int8, "amx-int8"}};
  bool first = true;
  for (const auto& flag : flags) {
    if (!flag.first) continue;
    s += first ? "" : " ";
    s += flag.second;
    first = false;
  }
  return s + "]";
}

ScopedIsa::ScopedIsa(Isa isa) : previous_(active_isa()) { force_isa(isa); }
ScopedIsa::~ScopedIsa() { g_active.store(static_cast<int>(previous_)); }

}  // namespace hwgq::kernels
