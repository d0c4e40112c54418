/*===- slm_chat.h - chat templates (a Jinja subset) ------------------*- C -*-===*
 *
 * Hugging Face models describe their chat format as a Jinja template
 * (tokenizer_config.json's chat_template). libslmtok renders it the way
 * transformers does (jinja2 with trim_blocks and lstrip_blocks): the
 * statements if/elif/else, for (with loop.*, an `if` filter, else), set
 * (names and namespace attributes), break and continue; Python's operators,
 * slices, string and dict methods, and the filters and tests the templates of
 * Qwen, Llama 3, Phi-3, Gemma, SmolLM and Mistral use. A construct outside the
 * subset is an error naming it, at parse time for statements and at render
 * time for filters, tests and methods.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_CHAT_H
#define SLM_CHAT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_chat_template slm_chat_template;

/* Parses a template's source; NULL with a message (and line) in `error`. */
slm_chat_template *slm_chat_template_parse(const char *source, size_t len, char *error,
                                           size_t error_size);
void slm_chat_template_free(slm_chat_template *t);

typedef struct {
  const char *role; /* "system", "user", "assistant" */
  const char *content;
} slm_chat_message;

typedef struct {
  const slm_chat_message *messages;
  size_t count;
  int add_generation_prompt; /* end with the assistant's header, ready to generate */
  const char *bos_token;     /* the template's bos_token and eos_token ("" if none) */
  const char *eos_token;
} slm_chat;

/* The prompt text of a conversation (*out malloc'ed and NUL-terminated;
 * free() it). An error names the template's line (raise_exception's message
 * included). */
int slm_chat_template_render(const slm_chat_template *t, const slm_chat *chat, char **out,
                             size_t *out_len, char *error, size_t error_size);

/* The same with every variable given as one JSON object (messages with any
 * fields, tools, add_generation_prompt, bos_token, date_string, ...). */
int slm_chat_template_render_json(const slm_chat_template *t, const char *context, size_t len,
                                  char **out, size_t *out_len, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* SLM_CHAT_H */
