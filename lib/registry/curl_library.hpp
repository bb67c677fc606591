#pragma once
// libcurl, loaded on first use. Only push and pull talk HTTP; linking libcurl
// would make every slmctl process map about thirty more shared libraries (TLS,
// Kerberos, LDAP, ...) at start-up, which costs milliseconds on every command
// and megabytes of resident memory during `run`.

#include <curl/curl.h>

#include <string>

namespace slm::registry {

struct CurlLibrary {
    CURLcode (*global_init)(long flags);
    CURL* (*easy_init)();
    void (*easy_cleanup)(CURL*);
    void (*easy_reset)(CURL*);
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    CURLcode (*easy_perform)(CURL*);
    const char* (*easy_strerror)(CURLcode);
    char* (*easy_escape)(CURL*, const char*, int);
    void (*free)(void*);
    curl_slist* (*slist_append)(curl_slist*, const char*);
    void (*slist_free_all)(curl_slist*);
};

// The loaded library (curl_global_init done), or nullptr with *why set.
const CurlLibrary* curl_library(std::string* why);

}  // namespace slm::registry
