/*===- cpu_features.h - does this CPU run the artifact's code? ----*- C -*-===*/
#ifndef SLM_CPU_FEATURES_H
#define SLM_CPU_FEATURES_H

#include "slm_runtime.h"

/* Fails (SLM_ERROR_UNSUPPORTED) naming every feature in `names` that the
 * running CPU or its OS lacks, or the first name this runtime does not know. */
slm_status slm_check_cpu_features(const char *path, const char *target, char *const *names,
                                  size_t count);

#endif
