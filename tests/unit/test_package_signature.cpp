// Ed25519 signatures: a signature verifies only with the key that made it,
// only for the manifest id it names, and any change to it is detected.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "package/signature.hpp"

namespace fs = std::filesystem;
using namespace slm::package;

TEST_CASE("sign and check") {
    const fs::path dir = fs::temp_directory_path() / ("slm-sig-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string key = (dir / "k").string(), other = (dir / "o").string();
    auto k = generate_key(key, false);
    REQUIRE(k.ok());
    REQUIRE(generate_key(other, false).ok());
    CHECK(generate_key(key, false).error().code == slm::ErrorCode::conflict);
    CHECK((fs::status(key).permissions() & fs::perms::others_read) == fs::perms::none);
    CHECK(*key_id_of(k->public_key) == k->key_id);
    CHECK(*key_id_of(key) == k->key_id);  // the private key file yields the same id

    const std::string id = "sha256:" + std::string(64, 'c');
    auto doc = sign_manifest_id(key, id);
    REQUIRE(doc.ok());
    CHECK((*doc)["key_id"] == k->key_id);
    CHECK(check_signature(*doc, id, {k->public_key}).valid);
    CHECK_FALSE(check_signature(*doc, id, {other + ".pub"}).valid);       // untrusted key
    CHECK_FALSE(check_signature(*doc, "sha256:" + std::string(64, 'd'), {k->public_key}).valid);  // other manifest
    auto tampered = *doc;
    std::string sig = tampered["signature"];
    sig[5] = sig[5] == 'A' ? 'B' : 'A';
    tampered["signature"] = sig;
    auto t = check_signature(tampered, id, {k->public_key});
    CHECK_FALSE(t.valid);
    CHECK(t.detail.find("does not verify") != std::string::npos);
    auto relabelled = *doc;
    relabelled["signed"] = "sha256:" + std::string(64, 'd');  // claims another manifest
    CHECK_FALSE(check_signature(relabelled, "sha256:" + std::string(64, 'd'), {k->public_key}).valid);
    fs::remove_all(dir);
}
