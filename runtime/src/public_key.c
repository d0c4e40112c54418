/*===- public_key.c - reading a trusted public key file -------------------===*
 *
 * The format `slmc keygen` writes (docs/ARTIFACT.md, "Signatures"): one line,
 * "slmc-ed25519-public-key " and the key's 32 bytes as 64 hex digits. Plain
 * C, so that a libc-only runtime still reads (and refuses to use) it.
 *
 *===----------------------------------------------------------------------===*/

#include "error.h"
#include "slm_signature.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char kPublicKeyLabel[] = SLM_PUBLIC_KEY_LABEL;

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

slm_status slm_public_key_read(const char *path, slm_public_key *key) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return slm_fail(SLM_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
  char text[160];
  size_t size = fread(text, 1, sizeof text - 1, file);
  int read_error = ferror(file);
  fclose(file);
  if (read_error)
    return slm_fail(SLM_ERROR_IO, "%s: cannot read", path);
  text[size] = '\0';
  while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r' || text[size - 1] == ' '))
    text[--size] = '\0';
  size_t label = sizeof kPublicKeyLabel - 1;
  if (size < label || memcmp(text, kPublicKeyLabel, label) != 0)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: not an slmc public key (the file must start with \"%s\")", path,
                    kPublicKeyLabel);
  if (size != label + 2 * SLM_PUBLIC_KEY_SIZE)
    return slm_fail(SLM_ERROR_FORMAT, "%s: the key must be %d hex digits, found %zu characters",
                    path, 2 * SLM_PUBLIC_KEY_SIZE, size - label);
  for (int i = 0; i < SLM_PUBLIC_KEY_SIZE; ++i) {
    int high = hex_digit(text[label + 2 * i]), low = hex_digit(text[label + 2 * i + 1]);
    if (high < 0 || low < 0)
      return slm_fail(SLM_ERROR_FORMAT, "%s: the key has a character that is not a hex digit",
                      path);
    key->bytes[i] = (uint8_t)(high * 16 + low);
  }
  return SLM_OK;
}
