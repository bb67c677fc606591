// The registry journal: ROOT/slmctl/journal.jsonl, append-only, one event per
// line. Grammar of a line (canonical JSON, then '\n'):
//
//   {"actor":..., "event":"add"|"attach"|"state"|"alias", "prev":"sha256:<hex>",
//    "reason":..., "seq":N, "time":"YYYY-MM-DDTHH:MM:SSZ", ...event fields}
//
// seq counts from 1; prev is the SHA-256 of the previous line's bytes without
// its newline (k_genesis for the first line), so the lines form one hash
// chain: an edited, dropped or reordered line breaks it. A writer appends
// under the registry lock and fsyncs before anything acts on the record. A
// last line without its newline was never committed (its writer died): a
// reader ignores it and the next writer truncates it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace slm::registry {

inline constexpr const char* k_genesis =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

struct JournalRecord {
    nlohmann::json body;  // the whole record, seq and prev included
    std::string hash;     // sha256 of the line, the next record's prev
    std::uint64_t line_bytes = 0;  // length of the line with its newline
};

// Where a read stopped: the first byte after the last committed line.
struct JournalPosition {
    std::uint64_t offset = 0;
    std::uint64_t records = 0;
    std::string head = k_genesis;
};

struct JournalTail {
    std::vector<JournalRecord> records;
    JournalPosition end;
    std::uint64_t torn_bytes = 0;  // an uncommitted partial line after `end`
};

// Reads the committed lines after `from` and checks each one's seq and prev.
// Errors: invalid_input, ids registry.journal_corrupt (bad JSON, broken
// chain, seq gap; the message names the line number and byte offset).
Result<JournalTail> read_journal(const std::string& path, const JournalPosition& from);

// The same over bytes already in memory (`bytes` is the whole journal; `where`
// names it in messages). read_journal maps the file and calls this.
Result<JournalTail> parse_journal(Bytes bytes, const JournalPosition& from, const std::string& where);

// Appends `event` (seq and prev are filled in from `at`) and fsyncs.
// `at` must be the current end of the committed journal.
Result<JournalRecord> append_journal(const std::string& path, const JournalPosition& at, nlohmann::json event);

// Cuts an uncommitted partial last line (after a crashed writer).
Status truncate_journal(const std::string& path, std::uint64_t offset);

}  // namespace slm::registry
