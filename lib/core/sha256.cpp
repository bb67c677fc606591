// Sha256 front end: OpenSSL's EVP (SHA-NI / AVX2 code paths) on native builds,
// the portable implementation where OpenSSL is absent (SLM_NO_OPENSSL).
#include "core/hash.hpp"
#include "core/sha256_portable.hpp"

#ifndef SLM_NO_OPENSSL
#include <openssl/evp.h>
#endif

namespace slm {

#ifndef SLM_NO_OPENSSL
Sha256::Sha256() : impl_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(impl_), EVP_sha256(), nullptr);
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(impl_)); }
void Sha256::update(Bytes data) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(impl_), data.data(), data.size());
}
Sha256Digest Sha256::finish() {
    Sha256Digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(impl_), out.data(), &len);
    return out;
}
#else
Sha256::Sha256() : impl_(new Sha256Portable) {}
Sha256::~Sha256() { delete static_cast<Sha256Portable*>(impl_); }
void Sha256::update(Bytes data) { static_cast<Sha256Portable*>(impl_)->update(data); }
Sha256Digest Sha256::finish() { return static_cast<Sha256Portable*>(impl_)->finish(); }
#endif

Sha256Digest sha256(Bytes data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

std::string to_hex(Bytes data) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (std::uint8_t b : data) {
        out.push_back(k_digits[b >> 4]);
        out.push_back(k_digits[b & 15]);
    }
    return out;
}

std::string sha256_ref(const Sha256Digest& d) { return "sha256:" + to_hex(Bytes(d.data(), d.size())); }
std::string sha256_ref(Bytes data) { return sha256_ref(sha256(data)); }

}  // namespace slm
