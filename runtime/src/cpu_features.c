/*===- cpu_features.c - CPU features: x86 CPUID/XGETBV, AArch64 HWCAPs -----===*
 *
 * x86: a feature counts only when the OS also saves its register state
 * (XGETBV): a CPU with AVX-512 under an OS that does not enable ZMM state
 * cannot run AVX-512 code. AArch64: Linux reports what the CPU and kernel
 * support as bits of getauxval(AT_HWCAP) and getauxval(AT_HWCAP2).
 *
 * Every feature names its architecture, so an artifact for another one is
 * refused by that, not by a list of features this CPU lacks.
 *
 *===----------------------------------------------------------------------===*/

#include "cpu_features.h"

#include "error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#define SLM_HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#include <sys/auxv.h>
#define SLM_HOST_ARCH "aarch64"
#else
#define SLM_HOST_ARCH "unknown"
#endif

typedef struct cpu_feature {
  const char *name;
  const char *arch;
  /* x86: CPUID leaf/subleaf, register and bit, and the OS state it needs.
   * AArch64: which HWCAP word (reg 0: AT_HWCAP, 1: AT_HWCAP2) and bit. */
  unsigned leaf, subleaf;
  enum { EAX, EBX, ECX, EDX } reg;
  unsigned bit;
  enum { NO_STATE, AVX_STATE, AVX512_STATE, AMX_STATE } state;
} cpu_feature;

static const cpu_feature kFeatures[] = {
    {"sse4.2", "x86_64", 1, 0, ECX, 20, NO_STATE},
    {"avx", "x86_64", 1, 0, ECX, 28, AVX_STATE},
    {"avx2", "x86_64", 7, 0, EBX, 5, AVX_STATE},
    {"fma", "x86_64", 1, 0, ECX, 12, AVX_STATE},
    {"f16c", "x86_64", 1, 0, ECX, 29, AVX_STATE},
    {"bmi2", "x86_64", 7, 0, EBX, 8, NO_STATE},
    {"avx512f", "x86_64", 7, 0, EBX, 16, AVX512_STATE},
    {"avx512bw", "x86_64", 7, 0, EBX, 30, AVX512_STATE},
    {"avx512dq", "x86_64", 7, 0, EBX, 17, AVX512_STATE},
    {"avx512vl", "x86_64", 7, 0, EBX, 31, AVX512_STATE},
    {"avx512vnni", "x86_64", 7, 0, ECX, 11, AVX512_STATE},
    {"avxvnni", "x86_64", 7, 1, EAX, 4, AVX_STATE},
    {"amx-tile", "x86_64", 7, 0, EDX, 24, AMX_STATE},
    {"amx-int8", "x86_64", 7, 0, EDX, 25, AMX_STATE},
    /* Linux's arch/arm64 uapi hwcap.h: HWCAP_ASIMD, HWCAP_ASIMDHP,
     * HWCAP_ASIMDDP; HWCAP2_I8MM, HWCAP2_BF16. */
    {"neon", "aarch64", 0, 0, EAX, 1, NO_STATE},
    {"fullfp16", "aarch64", 0, 0, EAX, 10, NO_STATE},
    {"dotprod", "aarch64", 0, 0, EAX, 20, NO_STATE},
    {"i8mm", "aarch64", 1, 0, EAX, 13, NO_STATE},
    {"bf16", "aarch64", 1, 0, EAX, 14, NO_STATE},
};

#if defined(__x86_64__)
/* XCR0 bits: SSE and AVX state; opmask, upper ZMM0-15 and ZMM16-31 state;
 * tile configuration and tile data. */
static const uint64_t kAvxState = 0x6, kAvx512State = 0xE6, kAmxState = 0x60000;

/* Linux (5.16+) gives a process the AMX tile data state only when it asks
 * (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA; asm/prctl.h), and
 * the first tile instruction of one that did not faults. Asking again is
 * harmless. */
static bool amx_permitted(void) {
  const long request_permission = 0x1023, tile_data = 18;
  return syscall(SYS_arch_prctl, request_permission, tile_data) == 0;
}

static uint64_t os_saved_state(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) /* OSXSAVE */
    return 0;
  uint32_t low, high;
  __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return ((uint64_t)high << 32) | low;
}

/* `refused`: set when the CPU and the OS have an AMX feature but Linux did
 * not grant this process the tile state. */
static bool has_feature(const cpu_feature *feature, bool *refused) {
  unsigned regs[4];
  if (!__get_cpuid_count(feature->leaf, feature->subleaf, &regs[EAX], &regs[EBX], &regs[ECX],
                         &regs[EDX]) ||
      !(regs[feature->reg] & (1u << feature->bit)))
    return false;
  uint64_t needed = feature->state == AVX_STATE      ? kAvxState
                    : feature->state == AVX512_STATE ? kAvx512State
                    : feature->state == AMX_STATE    ? kAmxState
                                                     : 0;
  if ((os_saved_state() & needed) != needed)
    return false;
  if (feature->state == AMX_STATE && !amx_permitted()) {
    *refused = true;
    return false;
  }
  return true;
}
#elif defined(__aarch64__)
static bool has_feature(const cpu_feature *feature, bool *refused) {
  (void)refused;
  unsigned long word = getauxval(feature->leaf ? AT_HWCAP2 : AT_HWCAP);
  return (word >> feature->bit) & 1u;
}
#else
static bool has_feature(const cpu_feature *feature, bool *refused) {
  (void)feature;
  (void)refused;
  return false;
}
#endif

static const cpu_feature *find_feature(const char *name) {
  for (size_t i = 0; i < sizeof kFeatures / sizeof *kFeatures; ++i)
    if (!strcmp(kFeatures[i].name, name))
      return &kFeatures[i];
  return NULL;
}

slm_status slm_check_cpu_features(const char *path, const char *target, char *const *names,
                                  size_t count) {
  char missing[256] = "";
  bool refused = false;
  for (size_t i = 0; i < count; ++i) {
    const char *name = names[i] ? names[i] : "";
    const cpu_feature *feature = find_feature(name);
    if (!feature)
      return slm_fail(SLM_ERROR_UNSUPPORTED,
                      "%s: compiled for %s, which requires CPU feature '%s' that this runtime "
                      "does not know",
                      path, target, name);
    if (strcmp(feature->arch, SLM_HOST_ARCH))
      return slm_fail(SLM_ERROR_UNSUPPORTED,
                      "%s: compiled for %s, a %s target; this runtime runs %s code", path, target,
                      feature->arch, SLM_HOST_ARCH);
    if (!has_feature(feature, &refused)) {
      size_t used = strlen(missing);
      snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "", feature->name);
    }
  }
  if (missing[0])
    return slm_fail(SLM_ERROR_UNSUPPORTED, "%s: compiled for %s; this CPU lacks %s%s", path, target,
                    missing,
                    refused ? " (the CPU has AMX, but Linux refused this process the tile state: "
                              "arch_prctl ARCH_REQ_XCOMP_PERM failed)"
                            : "");
  return SLM_OK;
}
