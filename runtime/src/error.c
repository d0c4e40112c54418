/*===- error.c - the thread's last error ----------------------------------===*/

#include "error.h"

#include <stdarg.h>
#include <stdio.h>

/* Long enough for a path and a sentence about it; longer messages are cut. */
static _Thread_local char last_error[1024];

slm_status slm_fail(slm_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

const char *slm_last_error(void) { return last_error; }
