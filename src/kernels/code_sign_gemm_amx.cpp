// AMX-INT8 block of code_sign_gemm: tdpbsud multiplies a 16 x 64-byte tile of signed bytes
// by a 16 x 64-byte tile of unsigned bytes in groups of 4 and adds the int32 sums into a
// 16 x 16 tile, 16 K multiply-adds per instruction against vpdpbusd's 64.
//
// The packed operands are already in tile form: 16 rows of signs from one depth offset are
// an A tile (row stride = the signs' row stride), and 16 consecutive depth groups of one
// panel (64 bytes each) are a B tile in the 4-byte interleaved order tdpbsud reads. The
// padding of the packing makes every load whole: sign rows come in 16s and their stride in
// 64 bytes with zeros past the depth, so the groups a B load reads past a panel's end (the
// next panel, or the codes' slack) meet zero signs. Tiles of C that run past the block's
// rows or columns go through a local tile.
//
// Tiles 0-3 hold C for 2 row tiles x 2 panels, 4-5 the signs, 6-7 the codes.
// Compiled for AMX whatever the build targets; only called when the CPU and OS have it.
#include "code_sign_gemm_kernels.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && (__GNUC__ >= 11 || defined(__clang__))
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#define HWGQ_AMX __attribute__((target("amx-tile,amx-int8")))

namespace hwgq::kernels::detail {

namespace {

constexpr int kTileRows = 16;
constexpr int kTileColumns = 16;          // int32 columns of a C tile
constexpr int kGroupsPerStep = 16;        // depth groups of 4 per tdpbsud
constexpr int kTileRowBytes = 64;

// The 64-byte operand of ldtilecfg (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

HWGQ_AMX void configure_tiles() {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytes_per_row[t] = kTileRowBytes;
    config.rows[t] = kTileRows;
  }
  _tile_loadconfig(&config);
}

// Writes C tile register `tile` (0-3) to `out` with a row stride of `stride` bytes. The
// tile instructions take their register as an immediate, hence the switch.
HWGQ_AMX void store_tile_register(int tile, int32_t* out, size_t stride) {
  switch (tile) {
    case 0:
      _tile_stored(0, out, stride);
      break;
    case 1:
      _tile_stored(1, out, stride);
      break;
    case 2:
      _tile_stored(2, out, stride);
      break;
    default:
      _tile_stored(3, out, stride);
      break;
  }
}

// Stores C tile register `tile` as the tile at row r0 and panel `panel` of the block.
HWGQ_AMX void store_c(int tile, const CodeSignBlock& b, int r0, int panel) {
  const int rows = std::min(kTileRows, b.rows - r0);
  const int columns = std::min(kTileColumns, b.columns - panel * kTileColumns);
  if (rows <= 0 || columns <= 0) return;
  int32_t* c = b.c + static_cast<size_t>(r0) * b.ldc + panel * kTileColumns;
  if (rows == kTileRows && columns == kTileColumns) {
    store_tile_register(tile, c, b.ldc * sizeof(int32_t));
    return;
  }
  alignas(64) int32_t local[kTileRows * kTileColumns];
  store_tile_register(tile, local, kTileColumns * sizeof(int32_t));
  for (int r = 0; r < rows; ++r) std::memcpy(c + r * b.ldc, local + r * kTileColumns, columns * sizeof(int32_t));
}

// C for row tiles [r0, r0 + 16 * RowTiles) and panels [panel, panel + Panels).
template <int RowTiles, int Panels>
HWGQ_AMX void tiles(const CodeSignBlock& b, int r0, int panel) {
  _tile_zero(0);
  if constexpr (Panels > 1) _tile_zero(1);
  if constexpr (RowTiles > 1) _tile_zero(2);
  if constexpr (RowTiles > 1 && Panels > 1) _tile_zero(3);
  const int8_t* signs = b.signs + static_cast<size_t>(r0) * b.sign_stride;
  const int8_t* signs_next = signs + kTileRows * b.sign_stride;
  const uint8_t* codes = b.codes + static_cast<size_t>(panel) * b.panel_bytes;
  const uint8_t* codes_next = codes + b.panel_bytes;
  for (int g = 0; g < b.groups; g += kGroupsPerStep) {
    const size_t sign_offset = static_cast<size_t>(g) * 4;
    const size_t code_offset = static_cast<size_t>(g) * kTileRowBytes;
    _tile_loadd(4, signs + sign_offset, b.sign_stride);
    _tile_loadd(6, codes + code_offset, kTileRowBytes);
    _tile_dpbsud(0, 4, 6);
    if constexpr (Panels > 1) {
      _tile_loadd(7, codes_next + code_offset, kTileRowBytes);
      _tile_dpbsud(1, 4, 7);
    }
    if constexpr (RowTiles > 1) {
      _tile_loadd(5, signs_next + sign_offset, b.sign_stride);
      _tile_dpbsud(2, 5, 6);
      if constexpr (Panels > 1) _tile_dpbsud(3, 5, 7);
    }
  }
  store_c(0, b, r0, panel);
  if constexpr (Panels > 1) store_c(1, b, r0, panel + 1);
  if constexpr (RowTiles > 1) store_c(2, b, r0 + kTileRows, panel);
  if constexpr (RowTiles > 1 && Panels > 1) store_c(3, b, r0 + kTileRows, panel + 1);
}

template <int RowTiles>
HWGQ_AMX void panels(const CodeSignBlock& b, int r0) {
  int panel = 0;
  for (; panel + 2 <= b.panels; panel += 2) tiles<RowTiles, 2>(b, r0, panel);
  if (panel < b.panels) tiles<RowTiles, 1>(b, r0, panel);
}

HWGQ_AMX void block_amx(const CodeSignBlock& b) {
  // The tile configuration belongs to the thread; set per block, released after so that a
  // context switch of this thread does not carry 8 KiB of tile state longer than needed.
  configure_tiles();
  // A partial last row tile reads the packing's zero rows.
  for (int r = 0; r < b.rows;) {
    if (b.rows - r > kTileRows) {
      panels<2>(b, r);
      r += 2 * kTileRows;
    } else {
      panels<1>(b, r);
      r += kTileRows;
    }
  }
  _tile_release();
}

}  // namespace

CodeSignBlockFn code_sign_amx_int8() { return block_amx; }

}  // namespace hwgq::kernels::detail

#else

namespace hwgq::kernels::detail {
CodeSignBlockFn code_sign_amx_int8() { return nullptr; }
}  // namespace hwgq::kernels::detail

#endif
