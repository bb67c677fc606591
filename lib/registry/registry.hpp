// A registry opened on disk: reads see the journal replayed; writes run under
// the registry lock, append journal records (fsync'd) and then rebuild the
// views (state.json, index.json). Operations on versions live in their own
// files: add.cpp, lifecycle.cpp (promote, rollback, states), attach.cpp.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "registry/blob_store.hpp"
#include "registry/journal.hpp"
#include "registry/layout.hpp"
#include "registry/lock.hpp"
#include "registry/state.hpp"

namespace slm::registry {

struct OpenOptions {
    std::string root;          // already resolved (default_root)
    bool create = false;       // create an empty registry when none exists
    int lock_timeout_ms = 30000;
};

// Who and when, recorded in every journal record.
struct Actor {
    std::string who;     // $SLMCTL_ACTOR, else user@host
    std::string reason;  // --reason, may be empty
};
Actor current_actor(const std::string& reason);

// UTC now as ISO 8601; $SLMCTL_NOW (same format) overrides it for tests of
// freshness windows.
std::string clock_now_utc();

class Registry;

// The state inside a write: append() journals an event and applies it.
class Transaction {
public:
    const RegistryState& state() const { return *state_; }
    // Fills in time/actor/reason, appends (fsync), applies to the state.
    Status append(nlohmann::json event);
    const Actor& actor() const { return actor_; }

private:
    friend class Registry;
    Transaction(Registry& r, RegistryState& s, Actor a) : registry_(r), state_(&s), actor_(std::move(a)) {}
    Registry& registry_;
    RegistryState* state_;
    Actor actor_;
};

class Registry {
public:
    static Result<Registry> open(const OpenOptions& options);

    const Layout& layout() const { return layout_; }
    BlobStore& blobs() { return blobs_; }
    const BlobStore& blobs() const { return blobs_; }

    // The current state without taking the lock: state.json plus the
    // committed journal records after it (an uncommitted torn line is ignored).
    Result<RegistryState> read_state() const;

    // Runs `body` under the lock on the rolled-forward state, then writes the
    // views. An error from `body` after some appends still writes the views:
    // what was journaled is committed.
    Status write(const Actor& actor, const std::function<Status(Transaction&)>& body);

    // Rebuilds the views from the journal under the lock. Returns how many
    // records the views were behind (0 = they were current).
    Result<std::uint64_t> refresh_views();

private:
    friend class Transaction;
    explicit Registry(Layout layout, int lock_timeout_ms)
        : layout_(layout), blobs_(layout), lock_timeout_ms_(lock_timeout_ms) {}
    Result<RegistryState> load_snapshot() const;
    Status write_views(const RegistryState& state);
    Status cut_uncommitted_tail(const JournalPosition& end) const;

    Layout layout_;
    BlobStore blobs_;
    int lock_timeout_ms_;
    // The last state read, valid while the journal keeps its size (it only
    // grows): spares a second parse when a command reads, checks, then writes.
    mutable std::optional<RegistryState> cached_;
};

}  // namespace slm::registry
