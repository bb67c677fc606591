#include "registry/oci_client.hpp"

#include "core/hash.hpp"
#include "core/json_canonical.hpp"
#include "registry/oci.hpp"
#include "registry/remote_ref.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

constexpr const char* k_manifest_accept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::uint64_t k_max_document_bytes = 64u << 20;  // sidecars, signatures, skill manifests

Error corrupt(const std::string& what) { return make_error(ErrorCode::invalid_input, "registry.remote_corrupt", what); }

// "<https://host/v2/...>; rel="next"" -> the URL, or "".
std::string next_link(const std::string& link) {
    if (link.find("rel=\"next\"") == std::string::npos && link.find("rel=next") == std::string::npos) return "";
    const auto open = link.find('<'), close = link.find('>');
    if (open == std::string::npos || close == std::string::npos || close < open) return "";
    return link.substr(open + 1, close - open - 1);
}

}  // namespace

Error http_error(const HttpResponse& r, const std::string& what) {
    std::string detail;
    if (auto doc = parse_json(r.body, r.url); doc && doc->is_object() && (*doc)["errors"].is_array()) {
        for (const auto& e : (*doc)["errors"]) {
            if (!e.is_object()) continue;
            detail += (detail.empty() ? "" : "; ") + e.value("code", std::string("?")) + ": " + e.value("message", std::string());
            if (e.contains("detail") && !e["detail"].is_null()) detail += " (" + e["detail"].dump() + ")";
        }
    } else {
        std::string text = r.body.substr(0, 200);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        detail = text;
    }
    ErrorCode code = ErrorCode::internal;
    std::string hint;
    switch (r.status) {
        case 404: code = ErrorCode::not_found; break;
        case 400: code = ErrorCode::invalid_input; break;
        case 409:
        case 412: code = ErrorCode::conflict; break;
        case 401:
            code = ErrorCode::incompatible;
            hint = " (authentication required or refused: give --username and --password-stdin, or set "
                   "SLMCTL_REGISTRY_USERNAME and SLMCTL_REGISTRY_PASSWORD)";
            break;
        case 403:
            code = ErrorCode::incompatible;
            hint = " (access denied for these credentials)";
            break;
        default: break;
    }
    return make_error(code, "registry.http_" + std::to_string(r.status),
                      what + ": " + r.method + " " + r.url + " returned " + std::to_string(r.status) +
                          (detail.empty() ? "" : ": " + detail) + hint);
}

OciClient::OciClient(HttpClient& http, std::string host, std::string repository)
    : http_(http), host_(std::move(host)), repository_(std::move(repository)) {}

std::string OciClient::url(const std::string& path) const {
    return http_.scheme() + "://" + host_ + "/v2/" + repository_ + "/" + path;
}

Result<bool> OciClient::has_blob(const Descriptor& d) {
    HttpRequest req;
    req.method = "HEAD";
    req.url = url("blobs/" + d.digest);
    auto r = http_.send(req);
    if (!r) return r.take_error();
    if (r->status == 404) return false;
    if (!r->success()) return http_error(*r, "checking for blob " + d.digest);
    return true;
}

Status OciClient::push_blob(const Descriptor& d, Bytes data, const ProgressFn& progress) {
    HttpRequest start;
    start.method = "POST";
    start.url = url("blobs/uploads/");
    auto r = http_.send(start);
    if (!r) return r.take_error();
    if (r->status != 202) return http_error(*r, "starting the upload of " + d.digest);
    std::string location = r->header("location");
    if (location.empty()) return make_error(ErrorCode::internal, "registry.http_protocol", start.url + ": 202 without a Location");
    if (location.rfind("http://", 0) != 0 && location.rfind("https://", 0) != 0)
        location = http_.scheme() + "://" + host_ + (location.front() == '/' ? "" : "/") + location;
    location += (location.find('?') == std::string::npos ? "?digest=" : "&digest=") + std::string("sha256%3A") +
                d.digest.substr(7);
    HttpRequest put;
    put.method = "PUT";
    put.url = location;
    put.headers = {"Content-Type: application/octet-stream"};
    put.body = data;
    put.progress = progress;
    put.progress_stage = "upload";
    r = http_.send(put);
    if (!r) return r.take_error();
    if (r->status != 201) return http_error(*r, "uploading blob " + d.digest);
    if (const std::string got = r->header("docker-content-digest"); !got.empty() && got != d.digest)
        return corrupt("the registry stored blob " + d.digest + " as " + got);
    return {};
}

Status OciClient::fetch_blob(const Descriptor& d, const BodySink& sink, const ProgressFn& progress) {
    Sha256 hash;
    std::uint64_t received = 0;
    HttpRequest req;
    req.url = url("blobs/" + d.digest);
    req.progress = progress;
    req.progress_stage = "download";
    req.sink = [&](Bytes piece) -> Status {
        received += piece.size();
        if (received > d.size)
            return corrupt(req.url + ": more than the " + std::to_string(d.size) + " bytes its descriptor states");
        hash.update(piece);
        return sink(piece);
    };
    auto r = http_.send(req);
    if (!r) return r.take_error();
    if (!r->success()) return http_error(*r, "fetching blob " + d.digest);
    if (received != d.size)
        return corrupt(req.url + ": " + std::to_string(received) + " bytes, its descriptor states " + std::to_string(d.size));
    if (const std::string got = sha256_ref(hash.finish()); got != d.digest)
        return corrupt(req.url + ": content hashes to " + got + ", expected " + d.digest + " (refused)");
    return {};
}

Result<std::string> OciClient::fetch_small_blob(const Descriptor& d) {
    if (d.size > k_max_document_bytes)
        return corrupt("blob " + d.digest + " claims " + std::to_string(d.size) + " bytes, more than a document may have");
    std::string out;
    SLM_TRY(fetch_blob(d, [&](Bytes piece) -> Status { out.append(as_string_view(piece)); return {}; }, nullptr));
    return out;
}

Result<RemoteManifest> OciClient::fetch_manifest(const std::string& reference) {
    HttpRequest req;
    req.url = url("manifests/" + reference);
    req.headers = {k_manifest_accept};
    req.max_body = k_max_manifest_bytes;
    auto r = http_.send(req);
    if (!r) return r.take_error();
    if (!r->success()) return http_error(*r, "fetching manifest " + reference + " of " + repository_);
    RemoteManifest m;
    m.bytes = std::move(r->body);
    m.digest = sha256_ref(as_bytes(m.bytes));
    if (reference.rfind("sha256:", 0) == 0 && m.digest != reference)
        return corrupt(req.url + ": manifest hashes to " + m.digest + ", expected " + reference + " (refused)");
    if (const std::string got = r->header("docker-content-digest"); !got.empty() && got != m.digest)
        return corrupt(req.url + ": manifest hashes to " + m.digest + " but the registry says " + got + " (refused)");
    m.media_type = r->header("content-type");
    if (auto semi = m.media_type.find(';'); semi != std::string::npos) m.media_type.resize(semi);
    if (m.media_type.empty() || m.media_type == "application/json" || m.media_type == "application/octet-stream")
        if (auto doc = parse_json(m.bytes, req.url); doc && doc->is_object()) m.media_type = doc->value("mediaType", "");
    return m;
}

Result<OciClient::Pushed> OciClient::push_manifest(const std::string& reference, const std::string& media_type,
                                                   std::string_view bytes) {
    HttpRequest req;
    req.method = "PUT";
    req.url = url("manifests/" + reference);
    req.headers = {"Content-Type: " + media_type};
    req.body = as_bytes(bytes);
    auto r = http_.send(req);
    if (!r) return r.take_error();
    if (r->status != 201) return http_error(*r, "pushing manifest " + reference);
    Pushed out{sha256_ref(as_bytes(bytes)), !r->header("oci-subject").empty()};
    if (const std::string got = r->header("docker-content-digest"); !got.empty() && got != out.digest)
        return corrupt(req.url + ": the registry stored the manifest as " + got + ", expected " + out.digest);
    return out;
}

Result<std::vector<json>> OciClient::referrers_tag_entries(const std::string& subject) {
    auto m = fetch_manifest(referrers_tag(subject));
    if (!m) {
        if (m.error().code == ErrorCode::not_found) return std::vector<json>{};
        return m.take_error();
    }
    auto doc = parse_json(m->bytes, url("manifests/" + referrers_tag(subject)));
    if (!doc) return doc.take_error();
    if (!doc->is_object() || doc->value("mediaType", "") != k_index_media_type || !(*doc)["manifests"].is_array())
        return corrupt(url("manifests/" + referrers_tag(subject)) + ": the referrers tag does not hold an OCI image index");
    return (*doc)["manifests"].get<std::vector<json>>();
}

Result<std::vector<json>> OciClient::referrers(const std::string& subject, std::string& via) {
    std::vector<json> out;
    std::string next = url("referrers/" + subject);
    for (int page = 0; !next.empty() && page < 100; ++page) {
        HttpRequest req;
        req.url = next;
        req.headers = {std::string("Accept: ") + k_index_media_type};
        req.max_body = k_max_manifest_bytes;
        auto r = http_.send(req);
        if (!r) return r.take_error();
        if (page == 0 && (r->status == 400 || r->status == 404 || r->status == 405 || r->status == 501)) {
            via = "tag";  // no referrers API: the OCI 1.1 fallback
            return referrers_tag_entries(subject);
        }
        if (!r->success()) return http_error(*r, "listing the referrers of " + subject);
        auto doc = parse_json(r->body, req.url);
        if (!doc) return doc.take_error();
        if (!doc->is_object() || !(*doc)["manifests"].is_array())
            return corrupt(req.url + ": the referrers response is not an image index");
        for (auto& d : (*doc)["manifests"]) out.push_back(std::move(d));
        next = next_link(r->header("link"));
        if (!next.empty() && next.front() == '/') next = http_.scheme() + "://" + host_ + next;
    }
    via = "api";
    return out;
}

Result<bool> OciClient::add_to_referrers_tag(const std::string& subject, const std::vector<json>& descriptors) {
    auto entries = referrers_tag_entries(subject);
    if (!entries) return entries.take_error();
    bool added = false;
    for (const auto& d : descriptors) {
        bool present = false;
        for (const auto& e : *entries) present = present || (e.is_object() && e.value("digest", "") == d.value("digest", ""));
        if (present) continue;
        entries->push_back(d);
        added = true;
    }
    if (!added) return false;
    const std::string index =
        canonical_json({{"schemaVersion", 2}, {"mediaType", k_index_media_type}, {"manifests", *entries}});
    auto pushed = push_manifest(referrers_tag(subject), k_index_media_type, index);
    if (!pushed) return pushed.take_error();
    return true;
}

}  // namespace slm::registry
