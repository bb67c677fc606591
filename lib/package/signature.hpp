// Ed25519 signatures over a skill version (OpenSSL 3). What is signed is the
// ASCII text of the skill manifest id ("sha256:<hex>"): the manifest names
// the .slm by digest, so the signature binds the weights, the contract and
// the lineage. A signature document (media type
// application/vnd.slmctl.signature.v1+json) is canonical JSON:
//   {"algorithm":"ed25519","key_id":"sha256:<hex of the DER public key>",
//    "schema":"slmctl.signature/v1","signature":"<base64>","signed":"sha256:<manifest id>"}
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace slm::package {

struct KeyFiles {
    std::string private_key;  // PEM PKCS#8, written with mode 0600
    std::string public_key;   // PEM SubjectPublicKeyInfo
    std::string key_id;
};

// Writes PATH (private) and PATH.pub (public). Refuses to overwrite
// (ErrorCode::conflict) unless `overwrite`.
Result<KeyFiles> generate_key(const std::string& path, bool overwrite);

// Key id of a PEM public or private key file.
Result<std::string> key_id_of(const std::string& pem_path);

// Signs `manifest_id` with the PEM private key; returns the document.
Result<nlohmann::json> sign_manifest_id(const std::string& private_key_path, const std::string& manifest_id);

struct SignatureCheck {
    bool valid = false;
    std::string key_id;  // of the trusted key that verified it
    std::string detail;
};

// Checks a signature document against `manifest_id` and the trusted keys.
SignatureCheck check_signature(const nlohmann::json& document, const std::string& manifest_id,
                               const std::vector<std::string>& trusted_key_paths);

}  // namespace slm::package
