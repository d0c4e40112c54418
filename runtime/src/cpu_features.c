/*===- cpu_features.c - x86 features from CPUID and XGETBV ----------------===*
 *
 * A feature counts only when the OS also saves its register state (XGETBV):
 * a CPU with AVX-512 under an OS that does not enable ZMM state cannot run
 * AVX-512 code.
 *
 *===----------------------------------------------------------------------===*/

#include "cpu_features.h"

#include "error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SLM_X86 1
#endif

typedef struct cpu_feature {
  const char *name;
  unsigned leaf, subleaf;
  enum { EAX, EBX, ECX, EDX } reg;
  unsigned bit;
  enum { NO_STATE, AVX_STATE, AVX512_STATE } state;
} cpu_feature;

static const cpu_feature kFeatures[] = {
    {"sse4.2", 1, 0, ECX, 20, NO_STATE},      {"avx", 1, 0, ECX, 28, AVX_STATE},
    {"avx2", 7, 0, EBX, 5, AVX_STATE},        {"fma", 1, 0, ECX, 12, AVX_STATE},
    {"f16c", 1, 0, ECX, 29, AVX_STATE},       {"bmi2", 7, 0, EBX, 8, NO_STATE},
    {"avx512f", 7, 0, EBX, 16, AVX512_STATE}, {"avx512bw", 7, 0, EBX, 30, AVX512_STATE},
    {"avx512dq", 7, 0, EBX, 17, AVX512_STATE}, {"avx512vl", 7, 0, EBX, 31, AVX512_STATE},
    {"avx512vnni", 7, 0, ECX, 11, AVX512_STATE}, {"avxvnni", 7, 1, EAX, 4, AVX_STATE},
};

#ifdef SLM_X86
/* XCR0 bits: SSE and AVX state; opmask, upper ZMM0-15 and ZMM16-31 state. */
static const uint64_t kAvxState = 0x6, kAvx512State = 0xE6;

static uint64_t os_saved_state(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) /* OSXSAVE */
    return 0;
  uint32_t low, high;
  __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return ((uint64_t)high << 32) | low;
}

static bool has_feature(const cpu_feature *feature) {
  unsigned regs[4];
  if (!__get_cpuid_count(feature->leaf, feature->subleaf, &regs[EAX], &regs[EBX], &regs[ECX],
                         &regs[EDX]) ||
      !(regs[feature->reg] & (1u << feature->bit)))
    return false;
  uint64_t needed = feature->state == AVX_STATE      ? kAvxState
                    : feature->state == AVX512_STATE ? kAvx512State
                                                     : 0;
  return (os_saved_state() & needed) == needed;
}
#else
static bool has_feature(const cpu_feature *feature) { return false; }
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
  for (size_t i = 0; i < count; ++i) {
    const char *name = names[i] ? names[i] : "";
    const cpu_feature *feature = find_feature(name);
    if (!feature)
      return slm_fail(SLM_ERROR_UNSUPPORTED,
                      "%s: compiled for %s, which requires CPU feature '%s' that this runtime "
                      "does not know",
                      path, target, name);
    if (!has_feature(feature)) {
      size_t used = strlen(missing);
      snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "", feature->name);
    }
  }
  if (missing[0])
    return slm_fail(SLM_ERROR_UNSUPPORTED, "%s: compiled for %s; this CPU lacks %s", path, target,
                    missing);
  return SLM_OK;
}
