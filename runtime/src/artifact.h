/*===- artifact.h - an opened .slmpack ------------------------------*- C -*-===*/
#ifndef SLM_ARTIFACT_H
#define SLM_ARTIFACT_H

#include "code_loader.h"
#include "manifest.h"
#include "slm_kernel_abi.h"
#include "slm_runtime.h"

#include <stdbool.h>

typedef int32_t (*slm_decoder_step_fn)(const slm_step_args *args);
typedef int32_t (*slm_graph_fn)(const slm_graph_args *args);

struct slm_artifact {
  char *path;
  const uint8_t *file; /* the whole file, mapped read-only */
  uint64_t file_size;
  slm_artifact_layout layout;
  slm_manifest manifest;
  bool code_loaded;    /* false for slm_artifact_inspect */
  slm_loaded_code code;
  slm_decoder_step_fn decoder_step; /* NULL without such an entry point */
  slm_graph_fn graph;
};

#endif
