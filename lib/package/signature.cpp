#include "package/signature.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/hash.hpp"
#include "core/io.hpp"

namespace slm::package {
namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Error key_error(const std::string& path, const std::string& why) {
    return make_error(ErrorCode::invalid_input, "signature.bad_key", path + ": " + why);
}

Result<PKey> load_key(const std::string& path, bool want_private) {
    auto text = read_text_file(path);
    if (!text) return text.take_error();
    Bio bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())), BIO_free);
    EVP_PKEY* key = want_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                                 : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr && !want_private) {
        // A private key file also carries the public key.
        Bio again(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())), BIO_free);
        key = PEM_read_bio_PrivateKey(again.get(), nullptr, nullptr, nullptr);
    }
    if (key == nullptr)
        return key_error(path, std::string("not a PEM ") + (want_private ? "private" : "public") + " key");
    PKey owned(key, EVP_PKEY_free);
    if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) return key_error(path, "not an Ed25519 key");
    return owned;
}

std::string key_id(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(key, &der);
    std::string id = sha256_ref(Bytes(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    return id;
}

std::string pem_of(EVP_PKEY* key, bool private_part) {
    Bio bio(BIO_new(BIO_s_mem()), BIO_free);
    if (private_part)
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    else
        PEM_write_bio_PUBKEY(bio.get(), key);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string base64(const std::vector<unsigned char>& in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), in.data(), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

bool unbase64(const std::string& in, std::vector<unsigned char>& out) {
    if (in.size() % 4 != 0) return false;
    out.assign(3 * in.size() / 4 + 1, 0);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) return false;
    std::size_t pad = 0;
    while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
    out.resize(static_cast<std::size_t>(n) - pad);
    return true;
}

Status write_private(const std::string& path, const std::string& pem, bool overwrite) {
    if (!overwrite && ::access(path.c_str(), F_OK) == 0)
        return make_error(ErrorCode::conflict, "signature.key_exists", path + ": exists already (use --force to replace it)");
    SLM_TRY(write_file_atomic(path, std::string_view(pem)));
    ::chmod(path.c_str(), 0600);
    return {};
}

}  // namespace

Result<KeyFiles> generate_key(const std::string& path, bool overwrite) {
    EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (raw == nullptr) return make_error(ErrorCode::internal, "signature.keygen", "OpenSSL could not generate an Ed25519 key");
    PKey key(raw, EVP_PKEY_free);
    KeyFiles out{path, path + ".pub", key_id(key.get())};
    if (!overwrite && ::access(out.public_key.c_str(), F_OK) == 0)
        return make_error(ErrorCode::conflict, "signature.key_exists",
                          out.public_key + ": exists already (use --force to replace it)");
    SLM_TRY(write_private(path, pem_of(key.get(), true), overwrite));
    SLM_TRY(write_file_atomic(out.public_key, std::string_view(pem_of(key.get(), false))));
    return out;
}

Result<std::string> key_id_of(const std::string& pem_path) {
    auto key = load_key(pem_path, false);
    if (!key) return key.take_error();
    return key_id(key->get());
}

Result<nlohmann::json> sign_manifest_id(const std::string& private_key_path, const std::string& manifest_id) {
    auto key = load_key(private_key_path, true);
    if (!key) return key.take_error();
    MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::vector<unsigned char> sig(64);
    std::size_t sig_len = sig.size();
    if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig.data(), &sig_len, reinterpret_cast<const unsigned char*>(manifest_id.data()),
                       manifest_id.size()) != 1)
        return make_error(ErrorCode::internal, "signature.sign", "OpenSSL could not sign with " + private_key_path);
    sig.resize(sig_len);
    return nlohmann::json{{"schema", "slmctl.signature/v1"}, {"algorithm", "ed25519"},
                          {"key_id", key_id(key->get())},  {"signed", manifest_id},
                          {"signature", base64(sig)}};
}

SignatureCheck check_signature(const nlohmann::json& doc, const std::string& manifest_id,
                               const std::vector<std::string>& trusted_key_paths) {
    SignatureCheck out;
    if (!doc.is_object() || doc.value("schema", "") != "slmctl.signature/v1" || doc.value("algorithm", "") != "ed25519" ||
        !doc.contains("signature") || !doc["signature"].is_string()) {
        out.detail = "not an slmctl Ed25519 signature document";
        return out;
    }
    out.key_id = doc.value("key_id", "");
    if (doc.value("signed", "") != manifest_id) {
        out.detail = "signs " + doc.value("signed", std::string("?")) + ", not this manifest " + manifest_id;
        return out;
    }
    std::vector<unsigned char> sig;
    if (!unbase64(doc["signature"].get<std::string>(), sig) || sig.size() != 64) {
        out.detail = "signature is not 64 bytes of base64";
        return out;
    }
    for (const auto& path : trusted_key_paths) {
        auto key = load_key(path, false);
        if (!key || key_id(key->get()) != out.key_id) continue;
        MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        const bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) == 1 &&
                        EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                                         reinterpret_cast<const unsigned char*>(manifest_id.data()),
                                         manifest_id.size()) == 1;
        out.valid = ok;
        out.detail = ok ? "signed by trusted key " + out.key_id + " (" + path + ")"
                        : "signature by " + out.key_id + " does not verify (tampered)";
        return out;
    }
    out.detail = "signed by " + out.key_id + ", which is not a trusted key of the policy";
    return out;
}

}  // namespace slm::package
