#include "registry/registry.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "registry/crash_points.hpp"
#include "registry/oci.hpp"

namespace slm::registry {

Actor current_actor(const std::string& reason) {
    Actor a;
    a.reason = reason;
    if (const char* who = std::getenv("SLMCTL_ACTOR"); who != nullptr && *who != '\0') {
        a.who = who;
        return a;
    }
    const char* user = std::getenv("USER");
    if (user == nullptr || *user == '\0') {
        const passwd* pw = ::getpwuid(::getuid());
        user = pw != nullptr ? pw->pw_name : nullptr;
    }
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    a.who = (user != nullptr ? std::string(user) : "uid" + std::to_string(::getuid())) + "@" + host;
    return a;
}

std::string clock_now_utc() {
    if (const char* fixed = std::getenv("SLMCTL_NOW"); fixed != nullptr && *fixed != '\0') return fixed;
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Status Transaction::append(nlohmann::json event) {
    event["time"] = clock_now_utc();
    event["actor"] = actor_.who;
    event["reason"] = actor_.reason;
    auto rec = append_journal(registry_.layout_.journal(), state_->journal, std::move(event));
    if (!rec) return rec.take_error();
    // The record is durable from here on; applying it cannot fail for a
    // record the caller validated, and if it did the journal says so.
    SLM_TRY(apply_record(*state_, *rec));
    state_->journal = {state_->journal.offset + rec->line_bytes, state_->journal.records + 1, rec->hash};
    return {};
}

Result<Registry> Registry::open(const OpenOptions& options) {
    auto layout = open_layout(options.root, options.create);
    if (!layout) return layout.take_error();
    return Registry(*layout, options.lock_timeout_ms);
}

Result<RegistryState> Registry::load_snapshot() const {
    auto text = read_text_file(layout_.state());
    if (!text) {
        if (text.error().code == ErrorCode::not_found) return RegistryState{};
        return text.take_error();
    }
    auto j = parse_json(*text, layout_.state());
    if (!j) return RegistryState{};  // a damaged cache is rebuilt from the journal
    auto s = state_from_json(*j, layout_.state());
    return s ? std::move(*s) : RegistryState{};
}

Result<RegistryState> Registry::read_state() const {
    struct stat st {};
    const std::uint64_t journal_size =
        ::stat(layout_.journal().c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    if (cached_ && cached_->journal.offset == journal_size) return *cached_;
    auto state = load_snapshot();
    if (!state) return state.take_error();
    auto tail = read_journal(layout_.journal(), state->journal);
    if (!tail && state->journal.offset != 0) {
        // The snapshot may not belong to this journal: replay everything.
        state = RegistryState{};
        tail = read_journal(layout_.journal(), state->journal);
    }
    if (!tail) return tail.take_error();
    for (const auto& rec : tail->records) SLM_TRY(apply_record(*state, rec));
    state->journal = tail->end;
    cached_ = *state;
    return state;
}

// Bytes after the last committed line belong to a writer that died mid-append:
// never acted upon, they are cut before the next append (under the lock).
Status Registry::cut_uncommitted_tail(const JournalPosition& end) const {
    struct stat st {};
    if (::stat(layout_.journal().c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) <= end.offset) return {};
    return truncate_journal(layout_.journal(), end.offset);
}

Status Registry::write_views(const RegistryState& state) {
    crash_point("views.before_index");
    // Views are caches of the journal (fsynced already): no fsync needed.
    SLM_TRY(write_file_atomic(layout_.index_json(), index_json(state), false));
    crash_point("views.before_state");
    SLM_TRY(write_file_atomic(layout_.state(), canonical_json(state_to_json(state)), false));
    return {};
}

Status Registry::write(const Actor& actor, const std::function<Status(Transaction&)>& body) {
    auto lock = RegistryLock::acquire(layout_.lock(), lock_timeout_ms_);
    if (!lock) return lock.take_error();
    auto state = read_state();
    if (!state) return state.take_error();
    SLM_TRY(cut_uncommitted_tail(state->journal));
    const std::uint64_t before = state->journal.records;
    Transaction txn(*this, *state, actor);
    Status result = body(txn);
    if (state->journal.records != before || result.ok()) SLM_TRY(write_views(*state));
    cached_ = std::move(*state);
    return result;
}

Result<std::uint64_t> Registry::refresh_views() {
    auto lock = RegistryLock::acquire(layout_.lock(), lock_timeout_ms_);
    if (!lock) return lock.take_error();
    auto snapshot = load_snapshot();
    if (!snapshot) return snapshot.take_error();
    auto state = read_state();
    if (!state) return state.take_error();
    SLM_TRY(cut_uncommitted_tail(state->journal));
    const std::uint64_t behind = state->journal.records - std::min(snapshot->journal.records, state->journal.records);
    auto index = read_text_file(layout_.index_json());
    if (behind > 0 || !index || *index != index_json(*state)) SLM_TRY(write_views(*state));
    return behind;
}

}  // namespace slm::registry
