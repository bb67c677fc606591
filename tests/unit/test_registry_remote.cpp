// Remote references, auth challenges and the checks pull applies to OCI
// manifests made elsewhere (the end-to-end tests are in
// tests/cli/test_registry_remote.sh).
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

#include "core/json_canonical.hpp"
#include "registry/add.hpp"
#include "registry/http_client.hpp"
#include "registry/oci.hpp"
#include "registry/remote_ref.hpp"

using nlohmann::json;
namespace reg = slm::registry;

TEST_CASE("remote references: the accepted forms") {
    auto r = reg::parse_remote_ref("oci://registry.example.com/team/skills/math:1.2.0_q8-0");
    REQUIRE(r.ok());
    CHECK(r->host == "registry.example.com");
    CHECK(r->repository == "team/skills/math");
    CHECK(r->tag == "1.2.0_q8-0");
    CHECK(r->digest.empty());
    CHECK(r->reference() == "1.2.0_q8-0");
    CHECK(r->to_string() == "oci://registry.example.com/team/skills/math:1.2.0_q8-0");

    r = reg::parse_remote_ref("oci://127.0.0.1:5000/skills/tiny");
    REQUIRE(r.ok());
    CHECK(r->host == "127.0.0.1:5000");
    CHECK(r->tag.empty());
    CHECK(r->reference().empty());

    const std::string digest = "sha256:" + std::string(64, 'a');
    r = reg::parse_remote_ref("oci://[::1]:5000/a/b@" + digest);
    REQUIRE(r.ok());
    CHECK(r->host == "[::1]:5000");
    CHECK(r->digest == digest);
    CHECK(r->reference() == digest);

    r = reg::parse_remote_ref("oci://localhost/a__b.c-d--e/f_g");
    REQUIRE(r.ok());
    CHECK(r->repository == "a__b.c-d--e/f_g");
}

TEST_CASE("remote references: refused forms are usage errors") {
    const std::string digest = "sha256:" + std::string(64, 'a');
    for (const std::string& bad : std::initializer_list<std::string>{
             "registry.example.com/skills/tiny:1",  // no scheme
             "https://registry.example.com/skills/tiny:1",
             "oci://registry.example.com",
             "oci://registry.example.com/",
             "oci://user:pass@registry.example.com/skills/tiny:1",
             "oci://registry.example.com/Skills/tiny:1",  // uppercase
             "oci://registry.example.com/skills//tiny:1",
             "oci://registry.example.com/skills/tiny/:1",
             "oci://registry.example.com/a___b:1",
             "oci://registry.example.com/a.-b:1",
             "oci://registry.example.com/skills/tiny:1.0.0+build",  // '+' is not a tag character
             "oci://registry.example.com/skills/tiny:.hidden",
             "oci://registry.example.com/skills/tiny@sha256:abc",
             "oci://registry.example.com/skills/tiny:1@" + digest,
             "oci://registry.example.com:0/skills/tiny:1",
             "oci://registry.example.com:99999/skills/tiny:1",
             "oci://bad_host/skills/tiny:1",
             "oci://[::1/skills/tiny:1",
         }) {
        CAPTURE(bad);
        auto r = reg::parse_remote_ref(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == slm::ErrorCode::usage);
    }
    CHECK(reg::is_tag(std::string(128, 'a')));
    CHECK_FALSE(reg::is_tag(std::string(129, 'a')));
}

TEST_CASE("remote references: default tags and the referrers tag") {
    CHECK(reg::tag_for_version("1.2.0") == "1.2.0");
    CHECK(reg::tag_for_version("1.2.0-rc.1+q8-0.b2") == "1.2.0-rc.1_q8-0.b2");
    CHECK(reg::is_tag(reg::tag_for_version("1.2.0-rc.1+q8-0.b2")));
    CHECK(reg::referrers_tag("sha256:" + std::string(64, 'f')) == "sha256-" + std::string(64, 'f'));
}

TEST_CASE("WWW-Authenticate challenges") {
    auto c = reg::parse_auth_challenge(
        R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push")");
    REQUIRE(c.has_value());
    CHECK(c->scheme == "bearer");
    CHECK(c->params["realm"] == "https://auth.example.com/token");
    CHECK(c->params["service"] == "registry.example.com");
    CHECK(c->params["scope"] == "repository:a/b:pull,push");

    c = reg::parse_auth_challenge(R"(Basic realm="slmctl \"test\"", charset=UTF-8)");
    REQUIRE(c.has_value());
    CHECK(c->scheme == "basic");
    CHECK(c->params["realm"] == "slmctl \"test\"");
    CHECK(c->params["charset"] == "UTF-8");

    c = reg::parse_auth_challenge(R"(Basic realm="a", Bearer realm="b")");  // the first challenge only
    REQUIRE(c.has_value());
    CHECK(c->scheme == "basic");
    CHECK(c->params["realm"] == "a");
    CHECK_FALSE(reg::parse_auth_challenge("").has_value());
}

namespace {

const reg::Descriptor k_config{reg::k_skill_manifest_media_type, "sha256:" + std::string(64, '1'), 100};
const reg::Descriptor k_artifact{"application/vnd.slmctl.model.v1+slm", "sha256:" + std::string(64, '2'), 2000};
const reg::Descriptor k_provenance{reg::k_provenance_media_type, "sha256:" + std::string(64, '3'), 300};

json version_doc() {
    return json::parse(reg::version_manifest("skill.a", "1.0.0", k_config, k_artifact, k_provenance, ""));
}

slm::Error version_error(const json& doc) {
    auto r = reg::parse_version_manifest(slm::canonical_json(doc), "test");
    REQUIRE_FALSE(r.ok());
    return r.error();
}

}  // namespace

TEST_CASE("pull checks: a skill version manifest") {
    auto ok = reg::parse_version_manifest(slm::canonical_json(version_doc()), "test");
    REQUIRE(ok.ok());
    CHECK(ok->name == "skill.a");
    CHECK(ok->version == "1.0.0");
    CHECK(ok->artifact.digest == k_artifact.digest);
    REQUIRE(ok->provenance.has_value());
    CHECK(ok->provenance->size == k_provenance.size);

    json doc = version_doc();
    doc["artifactType"] = "application/vnd.oci.image.config.v1+json";
    CHECK(version_error(doc).code == slm::ErrorCode::invalid_input);
    doc = version_doc();
    doc["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json";
    CHECK(version_error(doc).message.find("config.mediaType") != std::string::npos);
    doc = version_doc();
    doc["layers"][0]["mediaType"] = "application/octet-stream";
    CHECK(version_error(doc).message.find("layers[0]") != std::string::npos);
    doc = version_doc();
    doc["layers"].push_back(doc["layers"][1]);
    CHECK(version_error(doc).code == slm::ErrorCode::invalid_input);
    doc = version_doc();
    doc["subject"] = doc["config"];
    CHECK(version_error(doc).code == slm::ErrorCode::invalid_input);
    doc = version_doc();
    doc["layers"][0]["size"] = "2000";  // mistyped fields are errors, never exceptions
    CHECK(version_error(doc).code == slm::ErrorCode::invalid_input);
    doc = version_doc();
    doc["artifactType"] = 7;
    CHECK(version_error(doc).code == slm::ErrorCode::invalid_input);
    doc = version_doc();
    doc["layers"][0]["digest"] = "sha256:ABC";
    CHECK(version_error(doc).code == slm::ErrorCode::invalid_input);
    CHECK_FALSE(reg::parse_version_manifest("[1, 2]", "test").ok());
    CHECK_FALSE(reg::parse_version_manifest("not json", "test").ok());
}

TEST_CASE("pull checks: referrer manifests and their documents") {
    const reg::Descriptor subject{reg::k_manifest_media_type, "sha256:" + std::string(64, '4'), 700};
    const reg::Descriptor blob{reg::k_signature_media_type, "sha256:" + std::string(64, '5'), 300};
    const std::string bytes = reg::referrer_manifest(reg::k_signature_media_type, subject, blob, json::object());
    auto r = reg::parse_referrer_manifest(bytes, "test");
    REQUIRE(r.ok());
    CHECK(r->kind == "signature");
    CHECK(r->subject.digest == subject.digest);
    CHECK(r->blob.digest == blob.digest);
    CHECK(reg::referrer_kind(reg::k_eval_media_type) == "eval");
    CHECK(reg::referrer_kind("application/vnd.dev.cosign.artifact.sig.v1+json").empty());

    json doc = json::parse(bytes);
    doc["artifactType"] = "application/vnd.dev.cosign.artifact.sig.v1+json";
    CHECK_FALSE(reg::parse_referrer_manifest(slm::canonical_json(doc), "test").ok());
    doc = json::parse(bytes);
    doc.erase("subject");
    CHECK_FALSE(reg::parse_referrer_manifest(slm::canonical_json(doc), "test").ok());
    doc = json::parse(bytes);
    doc["layers"][0]["mediaType"] = reg::k_eval_media_type;
    CHECK_FALSE(reg::parse_referrer_manifest(slm::canonical_json(doc), "test").ok());

    reg::VersionEntry v;
    v.config = k_config;
    v.artifact = k_artifact;
    const json signature = {{"algorithm", "ed25519"}, {"key_id", "sha256:" + std::string(64, '6')},
                            {"schema", "slmctl.signature/v1"}, {"signature", "AAAA"}, {"signed", k_config.digest}};
    auto summary = reg::check_referrer_document("signature", slm::canonical_json(signature), v, "test");
    REQUIRE(summary.ok());
    CHECK((*summary)["key_id"] == signature["key_id"]);
    json other = signature;
    other["signed"] = "sha256:" + std::string(64, '7');
    CHECK_FALSE(reg::check_referrer_document("signature", slm::canonical_json(other), v, "test").ok());
    other = signature;
    other["signed"] = 3;
    CHECK_FALSE(reg::check_referrer_document("signature", slm::canonical_json(other), v, "test").ok());
    CHECK_FALSE(reg::check_referrer_document("eval", R"({"model_digest":"x"})", v, "test").ok());
}
