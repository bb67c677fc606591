#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "test_tokenizer_helpers.hpp"
#include "tokenizer/gpt2_bytes.hpp"
#include "tokenizer/gpt2_import.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace slm;
using namespace slm::tokenizer;
using format::TokenType;

namespace {

std::string read_fixture(const std::string& name) {
    std::ifstream in(std::string(SLM_SOURCE_DIR) + "/tests/data/tokenizer/tiny_gpt2/" + name, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// vocab.json with all 256 bytes (in byte order) plus `extra` entries.
std::string byte_vocab_json(const std::string& extra, int skip_byte = -1) {
    std::string json = "{";
    int id = 0;
    for (int b = 0; b < 256; ++b) {
        if (b == skip_byte) continue;
        std::string key = gpt2_bytes_to_text(std::string(1, static_cast<char>(b)));
        if (key == "\"" || key == "\\") key = "\\" + key;
        if (id > 0) json += ",";
        json += "\"" + key + "\":" + std::to_string(id);
        ++id;
    }
    return json + extra + "}";
}

void check_import_error(const std::string& vocab, const std::string& merges, const std::string& id) {
    auto r = import_gpt2_bpe(vocab, merges);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid_input);
    CHECK(r.error().id == id);
}

}  // namespace

TEST_CASE("tokenizer: import a tiny GPT-2 vocab.json / merges.txt") {
    auto imported = import_gpt2_bpe(read_fixture("vocab.json"), read_fixture("merges.txt"));
    REQUIRE_MESSAGE(imported.ok(), (imported.ok() ? "" : imported.error().message));
    const format::TokenizerSection& s = *imported;
    CHECK(s.kind == format::TokenizerKind::bpe);
    REQUIRE(s.tokens.size() == 264);
    CHECK(s.merges.size() == 7);
    // GPT-2 numbering: '!' is 0, the space byte (Ġ) is 220.
    CHECK(s.tokens[0].text == "!");
    CHECK(s.tokens[220].text == " ");
    CHECK(s.tokens[256].text == " t");
    CHECK(s.tokens[258].text == " the");
    CHECK(s.tokens[263].text == "<|endoftext|>");
    CHECK(s.tokens[263].type == TokenType::control);
    CHECK(s.tokens[258].type == TokenType::normal);
    CHECK(s.bos_id == 263);
    CHECK(s.eos_id == 263);
    CHECK(s.flags == 0);
    CHECK(s.merges[0] == std::pair<std::uint32_t, std::uint32_t>{220, 83});  // "Ġ t"

    auto tok = Tokenizer::create(s);
    REQUIRE(tok.ok());
    // "the" -> t,he; " cat" has no merges; " in" -> Ġ,in; " all" -> Ġa,ll -> Ġall; " the" -> Ġthe
    const std::vector<std::uint32_t> expected{83, 257, 220, 66, 64, 83, 220, 259, 262, 258};
    CHECK(tok->encode("the cat in all the", false) == expected);
    CHECK(tok->decode(expected) == "the cat in all the");
    CHECK(tok->encode("<|endoftext|>", false).size() > 1);  // special text is plain text
    const std::vector<std::uint32_t> with_eot{258, 263};
    CHECK(tok->decode(with_eot) == " the");
}

TEST_CASE("tokenizer: GPT-2 import errors") {
    const std::string merges = "#version: 0.2\n\xC4\xA0 t\n";
    const std::string vocab = byte_vocab_json(",\"\xC4\xA0t\":256");
    CHECK(import_gpt2_bpe(vocab, merges).ok());
    CHECK(import_gpt2_bpe(vocab, "\xC4\xA0 t\r\n\r\n").ok());  // no #version line, CRLF

    check_import_error("{\"a\": 0", merges, "tokenizer.gpt2_bad_json");
    check_import_error("[1, 2]", merges, "tokenizer.gpt2_bad_json");
    check_import_error(byte_vocab_json(",\"\xC4\xA0t\":\"x\""), merges, "tokenizer.gpt2_bad_vocab_id");
    check_import_error(byte_vocab_json(",\"\xC4\xA0t\":-1"), merges, "tokenizer.gpt2_bad_vocab_id");
    check_import_error(byte_vocab_json(",\"\xC4\xA0t\":1.5"), merges, "tokenizer.gpt2_bad_vocab_id");
    check_import_error(byte_vocab_json(",\"\xC4\xA0t\":300"), merges, "tokenizer.gpt2_ids_not_dense");
    check_import_error(byte_vocab_json(",\"\xC4\xA0t\":255"), merges, "tokenizer.gpt2_ids_not_dense");
    check_import_error(byte_vocab_json("", 'q') , "", "tokenizer.gpt2_missing_byte");
    check_import_error(vocab, "#version: 0.2\na b c\n", "tokenizer.gpt2_bad_merge_line");
    check_import_error(vocab, "ab\n", "tokenizer.gpt2_bad_merge_line");
    check_import_error(vocab, " a\n", "tokenizer.gpt2_bad_merge_line");
    check_import_error(vocab, "\xC4\xA0 zz\n", "tokenizer.gpt2_unknown_merge_token");
    check_import_error(vocab, "a b\n", "tokenizer.gpt2_unknown_merge_token");  // "ab" is not in the vocab
}
