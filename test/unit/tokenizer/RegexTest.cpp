//===- RegexTest.cpp - libslmtok's regex engine against Oniguruma ----------===//
//
// The pre-tokenizers' patterns are Oniguruma's (Ruby syntax), as the Rust
// tokenizers library compiles them. Each case states what Oniguruma's RE
// document (doc/RE of the Oniguruma sources) says the pattern does; the
// common tokenizer patterns are checked end to end against Hugging Face's
// tokenizers in test/lit/tokenizer.
//
//===----------------------------------------------------------------------===//

extern "C" {
#include "tok_regex.h"
}

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

struct Match {
  int found;
  size_t start, end;
};

Match find(const std::string &pattern, const std::string &subject, size_t from = 0) {
  char error[256];
  std::unique_ptr<tok_regex, void (*)(tok_regex *)> re(
      tok_regex_compile(pattern.data(), pattern.size(), error, sizeof error), tok_regex_free);
  EXPECT_TRUE(re) << pattern << ": " << error;
  if (!re)
    return {-2, 0, 0};
  Match m{0, 0, 0};
  m.found = tok_regex_find(re.get(), subject.data(), subject.size(), from, &m.start, &m.end);
  return m;
}

std::string compileError(const std::string &pattern) {
  char error[256] = "";
  tok_regex *re = tok_regex_compile(pattern.data(), pattern.size(), error, sizeof error);
  tok_regex_free(re);
  return re ? "(compiled)" : error;
}

void expectMatch(const std::string &pattern, const std::string &subject, size_t start,
                 size_t end) {
  Match m = find(pattern, subject);
  EXPECT_EQ(m.found, 1) << pattern << " on " << subject;
  EXPECT_EQ(m.start, start) << pattern << " on " << subject;
  EXPECT_EQ(m.end, end) << pattern << " on " << subject;
}

void expectNoMatch(const std::string &pattern, const std::string &subject) {
  EXPECT_EQ(find(pattern, subject).found, 0) << pattern << " on " << subject;
}

TEST(TokenizerRegex, AlternationIsLeftmostFirstAndGreedy) {
  expectMatch("a|ab", "ab", 0, 1); // the first branch that matches, not the longest
  // GPT-2's whitespace rule leaves the last space to the word after it.
  expectMatch("\\s+(?!\\S)|\\s+", "a   b", 1, 3);
  expectMatch("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+", "we'll", 0, 2);
}

TEST(TokenizerRegex, IsolatedFlagTakesTheRestOfItsGroup) {
  // RE: "ab(?i)c|def|gh" is "ab(?i:c|def|gh)": the later branches are inside.
  expectMatch("x(?i)b|c", "cCxB", 2, 4);
  expectNoMatch("(?:x(?i)b|c)y", "cy");
  expectMatch("(?:x(?i)b|c)y", "xCy", 0, 3);
  expectMatch("(?i:'s|'t)", "IT'S", 2, 4);
}

TEST(TokenizerRegex, AnEmptyRepetitionEndsTheLoop) {
  expectMatch("(a*)*", "b", 0, 0);
  expectMatch("(a|)*b", "aab", 0, 3);
  std::string abs;
  for (int i = 0; i < 1000; ++i)
    abs += "ab";
  expectMatch("(?:ab)+", abs, 0, abs.size());
  // Past its depth budget a group repeat is an error (-1), never a crash.
  std::string longer = abs + abs + abs + abs + abs;
  EXPECT_EQ(find("(?:ab)+", longer).found, -1);
}

TEST(TokenizerRegex, AnchorsAreRubys) {
  expectMatch("^b", "a\nb", 2, 3); // ^ and $ are line anchors
  expectMatch("a$", "a\nb", 0, 1);
  expectNoMatch("\\Ab", "a\nb"); // \A, \z: the subject's ends; \Z: or before a last \n
  expectMatch("b\\Z", "ab\n", 1, 2);
  expectNoMatch("b\\z", "ab\n");
}

TEST(TokenizerRegex, CountsAndNamedGroups) {
  expectMatch("a{,2}", "aaa", 0, 2); // {,n} is {0,n}
  expectMatch("a{2}b", "aaab", 1, 4);
  expectMatch("x{y", "x{y", 0, 3); // a brace that opens no count is a literal
  expectMatch("(?'n'a)", "a", 0, 1);
  expectMatch("(?<n>a)b", "ab", 0, 2);
}

TEST(TokenizerRegex, RefusesWhatItCannotRunByName) {
  EXPECT_EQ(compileError("(?<=a)b"),
            "regex: lookbehind ((?<=...) and (?<!...)) is not supported (at offset 2 of the "
            "pattern)");
  EXPECT_EQ(compileError("[a&&b]"),
            "regex: class intersections (&&) are not supported (at offset 2 of the pattern)");
  EXPECT_EQ(compileError("\\x{FFFFFFFF}"),
            "regex: a bad \\x or \\u escape (at offset 12 of the pattern)");
  EXPECT_EQ(compileError(std::string(65, '(') + "a" + std::string(65, ')')),
            "regex: groups nested more than 64 deep (at offset 65 of the pattern)");
  EXPECT_NE(compileError(std::string(3000, 'a')).find("more than 2000 nodes"), std::string::npos);
  EXPECT_EQ(compileError("\\1"), "regex: the escape \\1 is not supported (at offset 2 of the "
                                   "pattern)");
}

} // namespace
