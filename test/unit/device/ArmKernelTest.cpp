//===- ArmKernelTest.cpp - the Arm kernels against the portable ones -----===//
//
// Built for AArch64 only (test/unit/device) and run under qemu: the kernels
// that use Arm's integer dot product (sdot) and matrix multiply (smmla) give the
// portable C kernel's floats exactly, over shapes that reach every edge (rows
// of x and of w past a multiple of four, columns past a multiple of eight,
// several units, groups and per channel) and with the work split into tasks.
// The portable kernel is the one UkernelTest holds to the reference executor.
// A kernel whose instructions the CPU lacks (qemu's -cpu) is skipped.
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/ukernels/slm_ukernels.h"

#include <gtest/gtest.h>

#include <asm/hwcap.h>
#include <sys/auxv.h>

#include <cstdlib>
#include <random>
#include <vector>

namespace {

/// Runs the tasks one after another: the kernels' split into items is
/// exercised without threads (qemu-user here cannot start any).
void serialParallelFor(void *, int64_t tasks, slm_task_fn fn, void *arg) {
  for (int64_t t = 0; t < tasks; ++t)
    fn(arg, t);
}

struct Shape {
  int64_t m, n, k, group;
};

using LinearKernel = void (*)(const slm_uk_ctx *, const float *, const uint8_t *, const uint16_t *,
                            const float *, float *, int64_t, int64_t, int64_t, int64_t, uint8_t *);

/// y of `kernel` on a seeded random problem of `shape`: 8-bit codes (W8A8) or
/// 4-bit ones (W4A8, two to a byte).
std::vector<float> run(LinearKernel kernel, const Shape &shape, bool split, int bits) {
  std::mt19937 rng(static_cast<uint32_t>(shape.m * 1000003 + shape.n * 1009 + shape.k));
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  // W8A8's codes are -127..127; a W4A8 byte is two codes, any byte.
  std::uniform_int_distribution<int> code(bits == 8 ? -127 : 0, bits == 8 ? 127 : 255);
  std::uniform_int_distribution<int> scale(0x2000, 0x2c00); // halves ~0.008..0.06
  int64_t groups = shape.group ? (shape.k + shape.group - 1) / shape.group : 1;
  int64_t rowBytes = (shape.group ? groups * shape.group : shape.k) * bits / 8;
  std::vector<float> x(shape.m * shape.k), bias(shape.n), y(shape.m * shape.n, -1.0f);
  std::vector<uint8_t> codes(shape.n * rowBytes);
  std::vector<uint16_t> scales(shape.n * groups);
  for (float &v : x)
    v = value(rng);
  for (float &v : bias)
    v = value(rng);
  for (uint8_t &c : codes)
    c = static_cast<uint8_t>(static_cast<int8_t>(code(rng)));
  for (uint16_t &s : scales)
    s = static_cast<uint16_t>(scale(rng));
  size_t bytes = static_cast<size_t>(slm_uk_w8a8_scratch_bytes(shape.m, shape.k, shape.group));
  auto *scratch = static_cast<uint8_t *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
  slm_uk_ctx ctx{serialParallelFor, nullptr};
  kernel(split ? &ctx : nullptr, x.data(), codes.data(), scales.data(), bias.data(), y.data(),
         shape.m, shape.n, shape.k, shape.group, scratch);
  std::free(scratch);
  return y;
}

class ArmW8A8 : public ::testing::TestWithParam<Shape> {};
class ArmW4A8 : public ::testing::TestWithParam<Shape> {};

bool hasDotProduct() { return getauxval(AT_HWCAP) & HWCAP_ASIMDDP; }
bool hasMatrixMultiply() { return getauxval(AT_HWCAP2) & HWCAP2_I8MM; }

/// `kernel` gives the floats of `portable`, whole and split into tasks.
void expectSameFloats(LinearKernel kernel, LinearKernel portable, int bits, const char *name,
                      const Shape &shape) {
  std::vector<float> want = run(portable, shape, false, bits);
  for (bool split : {false, true}) {
    std::vector<float> got = run(kernel, shape, split, bits);
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(got[i], want[i]) << name << ", split " << split << ", row " << i / shape.n
                                 << " column " << i % shape.n;
  }
}

TEST_P(ArmW8A8, SdotGivesThePortableFloats) {
  if (!hasDotProduct())
    GTEST_SKIP() << "this CPU has no dot product";
  expectSameFloats(slm_uk_linear_w8a8_sdot, slm_uk_linear_w8a8, 8, "sdot", GetParam());
}

TEST_P(ArmW8A8, SmmlaGivesThePortableFloats) {
  if (!hasMatrixMultiply())
    GTEST_SKIP() << "this CPU has no int8 matrix multiply";
  expectSameFloats(slm_uk_linear_w8a8_smmla, slm_uk_linear_w8a8, 8, "smmla", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Shapes, ArmW8A8,
                         ::testing::Values(Shape{1, 7, 40, 0},     // decode
                                           Shape{3, 9, 96, 32},    // decode, groups
                                           Shape{4, 8, 64, 0},     // one tile
                                           Shape{5, 13, 172, 0},   // edges everywhere
                                           Shape{8, 16, 300, 0},   // two per-channel units
                                           Shape{11, 6, 100, 32},  // a ragged last group
                                           Shape{17, 12, 520, 64}, // many groups and tiles
                                           Shape{6, 3, 200, 128},
                                           Shape{16, 10, 600, 0})); // tasks, a short last block

TEST_P(ArmW4A8, SdotGivesThePortableFloats) {
  if (!hasDotProduct())
    GTEST_SKIP() << "this CPU has no dot product";
  expectSameFloats(slm_uk_linear_w4a8_sdot, slm_uk_linear_w4a8, 4, "sdot", GetParam());
}

// W4A8 takes groups of 32, 64 or 128; sdot takes 32 columns at a time.
INSTANTIATE_TEST_SUITE_P(Shapes, ArmW4A8,
                         ::testing::Values(Shape{1, 7, 128, 32},   // decode, whole groups
                                           Shape{1, 5, 100, 32},   // a partial group
                                           Shape{3, 9, 320, 64},   // a ragged last group
                                           Shape{2, 4, 150, 128},  // a group's columns end mid-32
                                           Shape{5, 13, 512, 128}, // several blocks
                                           Shape{9, 30, 1000, 32}));

} // namespace
