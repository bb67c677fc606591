// Expected splits are derived by hand from the GPT-2 regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (leftmost alternative that matches wins; quantifiers are greedy and
// backtrack, which is what makes \s+(?!\S) leave the last space behind).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tokenizer/pretokenize.hpp"

using slm::tokenizer::pretokenize_gpt2;

namespace {

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    for (auto piece : pretokenize_gpt2(text)) out.emplace_back(piece);
    return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("tokenizer: gpt2 pre-tokenizer, words and spaces") {
    CHECK(split("") == V{});
    CHECK(split("Hello world") == V{"Hello", " world"});
    CHECK(split("a  b") == V{"a", " ", " b"});
    CHECK(split("a\nb") == V{"a", "\n", "b"});
    CHECK(split("a   \n\n  b") == V{"a", "   \n\n ", " b"});
    CHECK(split("hi  ") == V{"hi", "  "});
    CHECK(split(" ") == V{" "});
    CHECK(split("  ") == V{"  "});
    CHECK(split("\t\tfoo") == V{"\t", "\t", "foo"});
    CHECK(split(" \tfoo") == V{" ", "\t", "foo"});
    CHECK(split("x\n\n") == V{"x", "\n\n"});
}

TEST_CASE("tokenizer: gpt2 pre-tokenizer, contractions") {
    CHECK(split("I'm can't we're they've he'll she'd it's") ==
          V{"I", "'m", " can", "'t", " we", "'re", " they", "'ve", " he", "'ll", " she", "'d", " it", "'s"});
    CHECK(split("don't") == V{"don", "'t"});
    CHECK(split("'S") == V{"'", "S"});          // case-sensitive
    CHECK(split("''s") == V{"''", "s"});        // greedy punctuation run wins first
    CHECK(split(" 's") == V{" '", "s"});        // the space binds to the punctuation
    CHECK(split("'stop") == V{"'s", "top"});
    CHECK(split("'") == V{"'"});
    CHECK(split("'l") == V{"'", "l"});
}

TEST_CASE("tokenizer: gpt2 pre-tokenizer, digits and punctuation") {
    CHECK(split("abc123 456") == V{"abc", "123", " 456"});
    CHECK(split("3.14") == V{"3", ".", "14"});
    CHECK(split("x !!?") == V{"x", " !!?"});
    CHECK(split("a+b=c;") == V{"a", "+", "b", "=", "c", ";"});
    CHECK(split("(1, 2)") == V{"(", "1", ",", " 2", ")"});
}

TEST_CASE("tokenizer: gpt2 pre-tokenizer, Unicode") {
    CHECK(split("h\xC3\xA9llo w\xC3\xB6rld") == V{"h\xC3\xA9llo", " w\xC3\xB6rld"});
    CHECK(split("\xE6\x95\xB0\xE5\xAD\xA6 123") == V{"\xE6\x95\xB0\xE5\xAD\xA6", " 123"});   // 数学 123
    CHECK(split("\xD9\xA3\xD9\xA4x") == V{"\xD9\xA3\xD9\xA4", "x"});                        // ٣٤x
    CHECK(split("a\xC2\xA0" "b") == V{"a", "\xC2\xA0", "b"});                                 // NBSP is \s
    CHECK(split("e\xCC\x81t") == V{"e", "\xCC\x81", "t"});                                   // combining mark is not \p{L}
    CHECK(split("hi \xF0\x9F\x91\x8B!") == V{"hi", " \xF0\x9F\x91\x8B!"});                  // 👋!
}

TEST_CASE("tokenizer: gpt2 pre-tokenizer, invalid UTF-8 and NUL") {
    CHECK(split("ab\xFF\xFE" "cd") == V{"ab", "\xFF\xFE", "cd"});
    CHECK(split(" \x80x") == V{" \x80", "x"});
    CHECK(split("\xC3(") == V{"\xC3(", });              // truncated lead + '(' are both "other"
    CHECK(split("a\xC3") == V{"a", "\xC3"});
    CHECK(split("\xC0\xA0" "a") == V{"\xC0\xA0", "a"});  // overlong space is not a space
    const std::string nul("a\0b", 3);
    CHECK(split(nul) == V{"a", std::string(1, '\0'), "b"});
}

TEST_CASE("tokenizer: gpt2 pre-tokenizer pieces cover the input") {
    std::string text;
    std::uint32_t state = 12345;
    for (int i = 0; i < 20000; ++i) {
        state = state * 1664525u + 1013904223u;
        text.push_back(static_cast<char>(state >> 24));
    }
    std::string joined;
    for (auto piece : pretokenize_gpt2(text)) {
        CHECK_FALSE(piece.empty());
        joined.append(piece);
    }
    CHECK(joined == text);
}
