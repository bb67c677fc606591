// Where a registry lives and what it holds on disk (docs/registry.md):
//
//   ROOT/oci-layout               {"imageLayoutVersion":"1.0.0"}
//   ROOT/index.json               OCI image index: one manifest per skill version, plus the
//                                 eval sidecars and signatures attached to them (subject)
//   ROOT/blobs/sha256/<hex>       immutable, content-addressed blobs
//   ROOT/slmctl/journal.jsonl     append-only, hash-chained lifecycle and alias events
//   ROOT/slmctl/state.json        the journal replayed up to a byte offset (a cache)
//   ROOT/slmctl/lock              flock(2) target serialising writers
//
// The journal is the only source of truth besides the blobs: index.json and
// state.json are views rebuilt from it, so a crash between the journal append
// and a view update loses nothing (the next writer rolls the views forward).
#pragma once

#include <string>

#include "core/result.hpp"

namespace slm::registry {

struct Layout {
    std::string root;

    std::string oci_layout() const { return root + "/oci-layout"; }
    std::string index_json() const { return root + "/index.json"; }
    std::string blobs_dir() const { return root + "/blobs/sha256"; }
    std::string blob(const std::string& digest) const;  // digest = "sha256:<hex>"
    std::string meta_dir() const { return root + "/slmctl"; }
    std::string journal() const { return meta_dir() + "/journal.jsonl"; }
    std::string state() const { return meta_dir() + "/state.json"; }
    std::string lock() const { return meta_dir() + "/lock"; }
    std::string policy() const { return meta_dir() + "/policy.yaml"; }
};

// --registry DIR, else $SLM_HOME, else ./.slm
std::string default_root(const std::string& cli_value);

// Creates the layout when `create` is set and it does not exist yet.
// Errors: not_found (no registry and !create), invalid_input (a directory
// that is not a registry of this kind), internal (I/O).
Result<Layout> open_layout(const std::string& root, bool create);

}  // namespace slm::registry
