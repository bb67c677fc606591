// The journal: appends form a hash chain; edits, removals, reordering and a
// torn last line are each detected or handled.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/hash.hpp"
#include "core/io.hpp"
#include "registry/journal.hpp"
#include "registry/state.hpp"

using namespace slm::registry;
namespace fs = std::filesystem;

namespace {

struct TempJournal {
    fs::path dir = fs::temp_directory_path() / ("slm-journal-" + std::to_string(::getpid()));
    std::string path = (dir / "journal.jsonl").string();
    TempJournal() { fs::create_directories(dir); fs::remove(path); }
    ~TempJournal() { fs::remove_all(dir); }

    JournalPosition append_n(int n) {
        JournalPosition at;
        for (int i = 0; i < n; ++i) {
            auto rec = append_journal(path, at, {{"event", "note"}, {"i", i}});
            REQUIRE(rec.ok());
            at = {at.offset + rec->line_bytes, at.records + 1, rec->hash};
        }
        return at;
    }
    std::string text() const { return *slm::read_text_file(path); }
    void write(const std::string& t) const { std::ofstream(path, std::ios::binary) << t; }
};

}  // namespace

TEST_CASE("appended records read back as one chain") {
    TempJournal j;
    const auto end = j.append_n(5);
    auto tail = read_journal(j.path, {});
    REQUIRE(tail.ok());
    CHECK(tail->records.size() == 5);
    CHECK(tail->end.records == 5);
    CHECK(tail->end.offset == end.offset);
    CHECK(tail->end.head == end.head);
    CHECK(tail->records[0].body["prev"] == k_genesis);
    // Each prev is the SHA-256 of the previous line's bytes.
    std::istringstream lines(j.text());
    std::string first;
    std::getline(lines, first);
    CHECK(tail->records[1].body["prev"] == slm::sha256_ref(slm::as_bytes(first)));
    // Reading from a position returns only what came after it.
    auto rest = read_journal(j.path, {tail->records[0].line_bytes, 1, tail->records[0].hash});
    REQUIRE(rest.ok());
    CHECK(rest->records.size() == 4);
}

TEST_CASE("append refuses a position that is not the end") {
    TempJournal j;
    j.append_n(2);
    auto r = append_journal(j.path, {}, {{"event", "note"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == slm::ErrorCode::conflict);
}

TEST_CASE("tampering is detected with the line named") {
    TempJournal j;
    j.append_n(4);
    const std::string good = j.text();
    auto expect_corrupt = [&](const std::string& text, const char* needle) {
        j.write(text);
        auto r = read_journal(j.path, {});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().id == "registry.journal_corrupt");
        CHECK_MESSAGE(r.error().message.find(needle) != std::string::npos, r.error().message);
    };
    std::string edited = good;
    edited.replace(edited.find("\"i\":1"), 5, "\"i\":7");
    expect_corrupt(edited, "line 3");  // line 2 edited: line 3's prev no longer matches
    const auto nl1 = good.find('\n'), nl2 = good.find('\n', nl1 + 1);
    expect_corrupt(good.substr(0, nl1 + 1) + good.substr(nl2 + 1), "seq 3, expected 2");  // line 2 removed
    std::string spaced = good;
    spaced.insert(1, " ");
    expect_corrupt(spaced, "line 1");  // same JSON value, but not the canonical bytes
    expect_corrupt(good.substr(0, nl1 + 1) + "not json\n", "line 2");
}

TEST_CASE("a torn last line is not committed") {
    TempJournal j;
    j.append_n(3);
    const std::string good = j.text();
    j.write(good + "{\"event\":\"no");
    auto r = read_journal(j.path, {});
    REQUIRE(r.ok());
    CHECK(r->records.size() == 3);
    CHECK(r->torn_bytes == 12);
    REQUIRE(truncate_journal(j.path, r->end.offset).ok());
    CHECK(j.text() == good);
}

TEST_CASE("replay rejects records that do not fit the state") {
    RegistryState s;
    auto rec = [](nlohmann::json body) { return JournalRecord{std::move(body), "sha256:x", 1}; };
    const nlohmann::json d = {{"mediaType", "m"}, {"digest", "sha256:" + std::string(64, 'a')}, {"size", 1}};
    nlohmann::json add = {{"event", "add"}, {"name", "s"}, {"version", "1.0.0"}, {"manifest", d}, {"config", d},
                          {"artifact", d}, {"time", "t"}, {"seq", 1}};
    REQUIRE(apply_record(s, rec(add)).ok());
    CHECK(apply_record(s, rec(add)).error().id == "registry.journal_inconsistent");  // added twice
    nlohmann::json move = {{"event", "alias"}, {"op", "promote"}, {"name", "s"}, {"alias", "champion"},
                           {"from", nullptr}, {"to", "1.0.0"}, {"seq", 2}};
    REQUIRE(apply_record(s, rec(move)).ok());
    CHECK(apply_record(s, rec(move)).error().id == "registry.journal_inconsistent");  // stale "from"
    nlohmann::json to_unknown = move;
    to_unknown["from"] = "1.0.0";
    to_unknown["to"] = "9.9.9";
    CHECK(apply_record(s, rec(to_unknown)).error().id == "registry.journal_inconsistent");
    nlohmann::json stage = {{"event", "state"}, {"name", "s"}, {"version", "1.0.0"}, {"from", "canary"}, {"to", "champion"}};
    CHECK(apply_record(s, rec(stage)).error().id == "registry.journal_inconsistent");  // it is a candidate
    nlohmann::json rollback = {{"event", "alias"}, {"op", "rollback"}, {"name", "s"}, {"alias", "champion"},
                               {"from", "1.0.0"}, {"to", "1.0.0"}, {"steps", 1}, {"seq", 3}};
    CHECK(apply_record(s, rec(rollback)).error().id == "registry.journal_inconsistent");  // no history
    CHECK(apply_record(s, rec({{"event", "nope"}, {"seq", 4}})).error().id == "registry.journal_inconsistent");
    CHECK(apply_record(s, rec({{"event", "add"}, {"seq", 5}})).error().id == "registry.journal_inconsistent");
}
