#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "registry/add.hpp"
#include "registry/oci.hpp"
#include "registry/oci_client.hpp"
#include "registry/transfer.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

Error foreign(const std::string& what) { return make_error(ErrorCode::invalid_input, "registry.not_a_skill", what); }

// A private folder under $TMPDIR for downloaded layers, removed at the end.
class Staging {
public:
    Staging() {
        std::error_code ec;
        std::string tmpl = (std::filesystem::temp_directory_path(ec) / "slmctl-pull.XXXXXX").string();
        if (!ec && ::mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
    }
    ~Staging() {
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;
    bool ok() const { return !dir_.empty(); }
    std::string path(const Descriptor& d) const { return dir_ + "/" + d.digest.substr(7); }

private:
    std::string dir_;
};

Status fetch_to_file(OciClient& client, const Descriptor& d, const std::string& path, const ProgressFn& progress) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return make_error(ErrorCode::internal, "io.write", path + ": cannot create the staging file");
    Status st = client.fetch_blob(
        d,
        [&](Bytes piece) -> Status {
            if (std::fwrite(piece.data(), 1, piece.size(), f) != piece.size())
                return make_error(ErrorCode::internal, "io.write", path + ": write failed (disk full?)");
            return {};
        },
        d.size >= k_progress_min_bytes ? progress : ProgressFn{});
    if (std::fclose(f) != 0 && st.ok()) return make_error(ErrorCode::internal, "io.write", path + ": write failed");
    return st;
}

struct PulledReferrer {
    std::string kind;
    RemoteManifest manifest;
    Descriptor blob;
    std::string document;
};

// Every referrer of the version that slmctl knows how to attach, checked;
// others are listed in out.skipped.
Result<std::vector<PulledReferrer>> fetch_referrers(OciClient& client, const RemoteRef& source,
                                                    const VersionEntry& subject, PullResult& out) {
    auto listed = client.referrers(subject.manifest.digest, out.referrers_via);
    if (!listed) return listed.take_error();
    std::vector<PulledReferrer> pulled;
    std::set<std::string> seen;
    for (const auto& d : *listed) {
        const std::string digest = d.is_object() && d.contains("digest") && d["digest"].is_string() ? d["digest"].get<std::string>() : "";
        if (!is_digest(digest))
            return foreign(source.to_string() + ": the referrers of " + subject.manifest.digest + " list a bad descriptor: " + d.dump());
        if (!seen.insert(digest).second) continue;
        const std::string listed_type = d.value("artifactType", json("")).is_string() ? d.value("artifactType", "") : "";
        if (!listed_type.empty() && referrer_kind(listed_type).empty()) {
            out.skipped.push_back(listed_type + " " + digest);
            continue;
        }
        auto m = client.fetch_manifest(digest);
        if (!m) return m.take_error();
        if (d.contains("size") && d["size"] != m->bytes.size())
            return make_error(ErrorCode::invalid_input, "registry.remote_corrupt",
                              source.to_string() + ": referrer " + digest + " has " + std::to_string(m->bytes.size()) +
                                  " bytes, its descriptor states " + d["size"].dump());
        out.bytes_downloaded += m->bytes.size();
        const std::string where = "referrer " + digest + " of " + source.to_string();
        auto doc = parse_json(m->bytes, where);
        if (!doc) return doc.take_error();
        const std::string type = doc->is_object() && (*doc)["artifactType"].is_string() ? (*doc)["artifactType"].get<std::string>() : "";
        if (referrer_kind(type).empty()) {
            out.skipped.push_back((type.empty() ? "(no artifactType)" : type) + " " + digest);
            continue;
        }
        auto parsed = parse_referrer_manifest(m->bytes, where);
        if (!parsed) return parsed.take_error();
        if (parsed->subject.digest != subject.manifest.digest)
            return foreign(where + ": its subject is " + parsed->subject.digest + ", not " + subject.manifest.digest);
        auto document = client.fetch_small_blob(parsed->blob);
        if (!document) return document.take_error();
        out.bytes_downloaded += document->size();
        auto summary = check_referrer_document(parsed->kind, *document, subject, parsed->kind + " document " + parsed->blob.digest);
        if (!summary) return summary.take_error();
        pulled.push_back({parsed->kind, std::move(*m), parsed->blob, std::move(*document)});
    }
    return pulled;
}

}  // namespace

Result<PullResult> pull_version(const OpenOptions& local, const RemoteRef& source, HttpClient& http, const Actor& actor,
                                const ProgressFn& progress) {
    if (source.reference().empty())
        return make_error(ErrorCode::usage, "registry.bad_remote",
                          source.to_string() + ": say what to pull: oci://HOST/REPO:TAG or oci://HOST/REPO@sha256:...");
    PullResult out;
    out.source = source;
    OciClient client(http, source.host, source.repository);

    // 1. The manifest and the skill manifest (config): is this a skill version?
    auto remote = client.fetch_manifest(source.reference());
    if (!remote) return remote.take_error();
    const std::string where = source.to_string() + " (" + remote->digest + ")";
    if (remote->media_type != k_manifest_media_type)
        return foreign(where + ": media type " + (remote->media_type.empty() ? "(none)" : remote->media_type) +
                       ": not the OCI image manifest of a slmctl skill version");
    auto m = parse_version_manifest(remote->bytes, where);
    if (!m) return m.take_error();
    out.manifest = {k_manifest_media_type, remote->digest, remote->bytes.size()};
    out.bytes_downloaded += remote->bytes.size();
    auto config = client.fetch_small_blob(m->config);
    if (!config) return config.take_error();
    out.bytes_downloaded += config->size();
    auto skill = check_skill_config(*config, *m, "skill manifest " + m->config.digest + " of " + source.to_string());
    if (!skill) return skill.take_error();
    out.name = (*skill)["name"].get<std::string>();
    out.version = (*skill)["version"].get<std::string>();
    out.blobs.push_back({"config", m->config, true});

    // 2. Layers into the staging folder (unless the local store has them),
    //    each checked against its digest and size while it streams.
    auto existing = Registry::open({local.root, false, local.lock_timeout_ms});
    if (!existing && existing.error().code != ErrorCode::not_found) return existing.take_error();  // e.g. a foreign layout
    Staging staging;
    if (!staging.ok()) return make_error(ErrorCode::internal, "io.write", "cannot create a staging folder in $TMPDIR");
    std::vector<TransferredBlob> layers = {{"artifact", m->artifact, false}};
    if (m->provenance) layers.push_back({"provenance", *m->provenance, false});
    for (auto& layer : layers) {
        if (existing && existing->blobs().exists(layer.descriptor.digest)) {
            out.blobs.push_back(layer);
            continue;
        }
        SLM_TRY(fetch_to_file(client, layer.descriptor, staging.path(layer.descriptor), progress));
        layer.transferred = true;
        out.bytes_downloaded += layer.descriptor.size;
        out.blobs.push_back(layer);
    }

    // 3. Referrers (eval sidecars, signatures), each checked.
    VersionEntry subject;
    subject.version = out.version;
    subject.manifest = out.manifest;
    subject.config = m->config;
    subject.artifact = m->artifact;
    auto referrers = fetch_referrers(client, source, subject, out);
    if (!referrers) return referrers.take_error();

    // 4. Everything checked: into the local registry.
    auto registry = Registry::open({local.root, true, local.lock_timeout_ms});
    if (!registry) return registry.take_error();
    out.root = registry->layout().root;
    auto state = registry->read_state();
    if (!state) return state.take_error();
    if (auto s = state->skills.find(out.name); s != state->skills.end())
        if (auto v = s->second.versions.find(out.version); v != s->second.versions.end() && v->second.manifest.digest != remote->digest)
            return make_error(ErrorCode::conflict, "registry.version_exists",
                              out.name + ":" + out.version + " already exists here with OCI manifest " +
                                  v->second.manifest.digest + ", " + where + " is another; versions are immutable");
    auto put_config = registry->blobs().put(as_bytes(*config), k_skill_manifest_media_type);
    if (!put_config) return put_config.take_error();
    for (const auto& layer : out.blobs) {
        if (!layer.transferred || layer.role == "config") continue;
        auto file = MappedFile::open(staging.path(layer.descriptor));
        if (!file) return file.take_error();
        auto put = registry->blobs().put(file->bytes(), layer.descriptor.media_type);
        if (!put) return put.take_error();
    }
    for (const auto& r : *referrers) {
        auto put = registry->blobs().put(as_bytes(r.document), r.blob.media_type);
        if (!put) return put.take_error();
        out.blobs.push_back({r.kind, r.blob, true});
    }
    auto added = admit_version(*registry, remote->bytes, actor);
    if (!added) return added.take_error();
    out.already_present = added->already_present;
    for (const auto& r : *referrers) {
        auto attached = admit_referrer(*registry, r.manifest.bytes, actor);
        if (!attached) return attached.take_error();
        out.referrers.push_back({r.kind, {k_manifest_media_type, r.manifest.digest, r.manifest.bytes.size()},
                                 !attached->already_present});
    }
    return out;
}

}  // namespace slm::registry
