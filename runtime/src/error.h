/*===- error.h - the thread's last error ---------------------------*- C -*-===*/
#ifndef SLM_ERROR_H
#define SLM_ERROR_H

#include "slm_runtime.h"

/* Records the formatted message as this thread's last error and returns status. */
slm_status slm_fail(slm_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
