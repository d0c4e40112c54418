/*===- fuzz_chat_template.c - chat templates (the Jinja subset) -----------===*
 * Bytes as a chat template's source: parsing, and, when it parses, rendering a
 * conversation of three messages with the generation prompt.
 *===----------------------------------------------------------------------===*/
#include "slm_chat.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char error[256];
  slm_chat_template *t = slm_chat_template_parse((const char *)data, size, error, sizeof error);
  if (!t)
    return 0;
  const slm_chat_message messages[] = {
      {"system", "Be short."}, {"user", "Hello, who are you?"}, {"assistant", " A model.\n"}};
  slm_chat chat = {messages, 3, 1, "<s>", "</s>"};
  char *out = NULL;
  size_t len = 0;
  if (slm_chat_template_render(t, &chat, &out, &len, error, sizeof error))
    free(out);
  slm_chat_template_free(t);
  return 0;
}
