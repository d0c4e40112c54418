//===- ChatTemplateTest.cpp - libslmtok's chat templates where lit cannot reach ===//
//
// The renders of real templates are checked against @huggingface/jinja in
// test/lit/chat-template. Here: Python's jinja2 meaning where that engine
// differs (transformers renders with jinja2), Hugging Face's environment
// (trim_blocks, lstrip_blocks, no trailing newline), and errors.
//
//===----------------------------------------------------------------------===//

#include "slm_chat.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Result {
  bool ok;
  std::string text; // the render, or the error
};

Result render(const std::string &source, const std::string &context = "{}") {
  char error[512] = {0};
  slm_chat_template *t = slm_chat_template_parse(source.data(), source.size(), error, sizeof error);
  if (!t)
    return {false, error};
  char *out = nullptr;
  size_t len = 0;
  bool ok = slm_chat_template_render_json(t, context.data(), context.size(), &out, &len, error,
                                          sizeof error);
  slm_chat_template_free(t);
  Result r{ok, ok ? std::string(out, len) : std::string(error)};
  std::free(out);
  return r;
}

std::string text(const std::string &source, const std::string &context = "{}") {
  Result r = render(source, context);
  EXPECT_TRUE(r.ok) << source << ": " << r.text;
  return r.text;
}

TEST(ChatTemplate, PrintsValuesAsPythonStr) {
  EXPECT_EQ(text("{{ true }} {{ none }} {{ [1, 'a', none] }} {{ {'k': 2.0} }}"),
            "True None [1, 'a', None] {'k': 2.0}");
  EXPECT_EQ(text("{{ \"it's\" }} {{ [\"it's\"] }} {{ undefined_name }}."), "it's [\"it's\"] .");
  EXPECT_EQ(text("{{ 1 / 4 }} {{ 10 / 5 }} {{ 1e0 if false else 0.1 + 0.2 }}"),
            "0.25 2.0 0.30000000000000004");
}

TEST(ChatTemplate, FollowsPythonArithmeticAndStrings) {
  EXPECT_EQ(text("{{ -7 % 3 }} {{ 7 % -3 }} {{ -7 // 2 }} {{ 'ab' * 3 }} {{ 'x' ~ none }}"),
            "2 -2 -4 ababab xNone");
  EXPECT_EQ(text("{{ 'xxhixx'.strip('x') }} {{ 'hello World' | capitalize }} {{ '😀ab' | length }}"),
            "hi Hello world 3");
  EXPECT_EQ(text("{{ 'a b  c'.split(none, 1) }} {{ 'héllo'[1:3] }} {{ 'abc'[::-1] }}"),
            "['a', 'b  c'] él cba");
  EXPECT_EQ(text("{{ 10 is divisibleby 5 }} {{ 'ABC' is upper }} {{ 3 is odd }} {{ '12' is lower }}"),
            "True True True False");
}

// Found by a differential fuzz (random templates, @huggingface/jinja and Python's jinja2 3.1
// agreeing against libslmtok); the expected texts are jinja2's.
TEST(ChatTemplate, MapsCaseOverUnicodeAsPython) {
  EXPECT_EQ(text("{{ 'é' | upper }}|{{ 'ΩÜ'.lower() }}|{{ 'ñ x' | title }}|{{ '3rd ok' | title }}"),
            "É|ωü|Ñ X|3Rd Ok");
}

TEST(ChatTemplate, RunsForElseAsJinja2Does) {
  // jinja2 runs the else block unless some pass reached the end of the body.
  EXPECT_EQ(text("{% for x in [1, 2] %}{% break %}{% else %}E{% endfor %}"), "E");
  EXPECT_EQ(text("{% for x in [1] %}{% if true %}{% continue %}{% endif %}{% else %}E{% endfor %}"),
            "E");
  EXPECT_EQ(text("{% for x in [1, 2] %}{% if x == 2 %}{% break %}{% endif %}{% else %}E{% endfor %}"),
            "");
  // What the else block sets stays in the loop.
  EXPECT_EQ(text("{% set name = 'N' %}{% for x in [] %}{% else %}{% set name = 'E' %}{% endfor %}"
                 "{{ name }}"),
            "N");
}

TEST(ChatTemplate, TestsTypesAsPython) {
  EXPECT_EQ(text("{{ true is number }} {{ true is integer }} {{ 1.5 is float }} "
                 "{{ missing is iterable }} {{ missing is sequence }}"),
            "True False True True True");
}

TEST(ChatTemplate, AppliesHuggingFaceWhitespaceRules) {
  // trim_blocks: the newline after a block tag goes; lstrip_blocks: the indentation before it;
  // `-` strips all white space on its side; one trailing newline of the source is dropped.
  EXPECT_EQ(text("a\n  {% if true %}\n  b\n  {% endif %}\nc\n"), "a\n  b\nc");
  EXPECT_EQ(text("x  {{- ' y ' -}}  z"), "x y z");
  EXPECT_EQ(text("{# comment #}\nq {#- trimmed #} r"), "q r");
}

TEST(ChatTemplate, ScopesLoopsAndNamespaces) {
  EXPECT_EQ(text("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(text("{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = i %}{% endfor %}"
                 "{{ ns.x }}"),
            "2");
  EXPECT_EQ(text("{% for a, b in [[1, 2], [3, 4]] if a > 1 %}{{ loop.length }}{{ a }}{{ b }}"
                 "{% else %}none{% endfor %}"),
            "134");
}

TEST(ChatTemplate, RendersAConversationWithoutJson) {
  const char *source = "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}"
                       "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
  char error[256];
  slm_chat_template *t = slm_chat_template_parse(source, strlen(source), error, sizeof error);
  ASSERT_NE(t, nullptr) << error;
  slm_chat_message messages[] = {{"system", "S"}, {"user", "U"}};
  slm_chat chat = {messages, 2, 1, "<s>", "</s>"};
  char *out = nullptr;
  size_t len = 0;
  ASSERT_TRUE(slm_chat_template_render(t, &chat, &out, &len, error, sizeof error)) << error;
  EXPECT_EQ(std::string(out, len), "<s><system>S<user>U<assistant>");
  std::free(out);
  slm_chat_template_free(t);
}

TEST(ChatTemplate, NamesWhatItCannotDo) {
  auto error = [](const std::string &source, const std::string &context = "{}") {
    Result r = render(source, context);
    EXPECT_FALSE(r.ok) << source;
    return r.text;
  };
  EXPECT_EQ(error("a\n{% macro m() %}{% endmacro %}"),
            "chat template line 2: the 'macro' statement is not supported");
  EXPECT_EQ(error("{% if x %}"), "chat template line 1: 'if' without 'endif'");
  EXPECT_EQ(error("{{ x "), "chat template line 1: unterminated tag");
  EXPECT_EQ(error("{{ 'abc }}"), "chat template line 1: unterminated string");
  EXPECT_EQ(error("{% endfor %}"), "chat template line 1: unexpected 'endfor'");
  EXPECT_EQ(error("{{ x | frobnicate }}"), "chat template line 1: the filter 'frobnicate' is not supported");
  EXPECT_EQ(error("{{ x is frobnicated }}"), "chat template line 1: the test 'frobnicated' is not supported");
  EXPECT_EQ(error("{{ 'a'.frob() }}"), "chat template line 1: string has no method 'frob'");
  EXPECT_EQ(error("\n{{ raise_exception('roles must alternate') }}"),
            "chat template line 2: the template raised an exception: roles must alternate");
  EXPECT_EQ(error("{{ 1 + 'a' }}"),
            "chat template line 1: unsupported operand types for +: integer and string");
  EXPECT_EQ(error("{{ x }}", "[1]"), "the context must be a JSON object");
  EXPECT_EQ(error("{{ range(10000000) | length }}"),
            "chat template line 1: range() longer than a million items");
}

} // namespace
