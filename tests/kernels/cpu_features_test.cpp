#include "hwgq/kernels/cpu_features.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "hwgq/common.hpp"

namespace hwgq::kernels {
namespace {

TEST(CpuFeatures, ScalarIsAlwaysSupportedAndListedFirst) {
  const std::vector<Isa> isas = supported_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Isa::kScalar);
  EXPECT_NE(std::find(isas.begin(), isas.end(), best_isa()), isas.end());
  EXPECT_EQ(isas.back(), best_isa());
}

TEST(CpuFeatures, IsaFlagsFollowTheCpuFlags) {
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(isa_supported(Isa::kAvx512), f.avx512f && f.avx512bw && f.avx512vl && f.avx512vpopcntdq && f.popcnt);
  EXPECT_EQ(isa_supported(Isa::kAvx2), f.avx2 && f.fma && f.popcnt);
  // AVX-512 without its OS state is reported absent, so the sub-features imply F.
  if (f.avx512bw || f.avx512vl || f.avx512vpopcntdq || f.avx512bitalg || f.avx512vnni) {
    EXPECT_TRUE(f.avx512f);
  }
}

TEST(CpuFeatures, NamesRoundTrip) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_STREQ(isa_name(Isa::kAvx512), "avx512");
  EXPECT_THROW(parse_isa("sse9"), Error);
  EXPECT_NE(cpu_feature_string().find('['), std::string::npos);
}

TEST(CpuFeatures, ForceAndRestore) {
  const Isa before = active_isa();
  for (Isa isa : supported_isas()) {
    ScopedIsa scoped(isa);
    EXPECT_EQ(active_isa(), isa);
  }
  EXPECT_EQ(active_isa(), before);
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!isa_supported(isa)) {
      EXPECT_THROW(force_isa(isa), Error);
      EXPECT_EQ(active_isa(), before);
    }
  }
}

}  // namespace
}  // namespace hwgq::kernels
