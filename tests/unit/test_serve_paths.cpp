// Request paths to files (slm::serve): percent-decoding, traversal in every
// spelling, symlinks out of the root, content types.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "serve/content_type.hpp"
#include "serve/static_files.hpp"
#include "serve/url_path.hpp"

#include "support/temp_dir.hpp"

using namespace slm::serve;
namespace fs = std::filesystem;

namespace {

using TempDir = slm::test::TempDir;

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// The whole chain a request path goes through before it reaches a file.
slm::Result<std::string> relative_of(std::string_view target) {
    auto decoded = percent_decode(target_path(target));
    if (!decoded) return decoded.take_error();
    return safe_relative_path(*decoded);
}

}  // namespace

TEST_CASE("serve: percent-decoding") {
    CHECK(*percent_decode("/a%20b%2Fc") == "/a b/c");
    CHECK(*percent_decode("/%e2%82%AC+x") == "/\xe2\x82\xac+x");  // '+' is not a space in paths
    CHECK(*percent_decode("") == "");
    for (const char* bad : {"%", "%2", "/%zz", "/%g0", "/a%2", "/%%41"}) {
        auto r = percent_decode(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().id == "serve.bad_escape");
    }
    auto nul = percent_decode("/a%00.html");
    REQUIRE_FALSE(nul.ok());
    CHECK(nul.error().id == "serve.encoded_nul");
}

TEST_CASE("serve: query and fragment are not part of the path") {
    CHECK(target_path("/a/b?x=../y") == "/a/b");
    CHECK(target_path("/a#f") == "/a");
    CHECK(target_path("/") == "/");
}

TEST_CASE("serve: paths normalise to a relative path") {
    CHECK(*relative_of("/") == "");
    CHECK(*relative_of("/index.html?v=1") == "index.html");
    CHECK(*relative_of("/a//./b") == "a/b");
    CHECK(*relative_of("/a/b/") == "a/b/");
    CHECK(*relative_of("/a/.") == "a/");
    CHECK(*relative_of("/models/skill.x:1.0.0+q8-0") == "models/skill.x:1.0.0+q8-0");
    CHECK(*relative_of("/a/..b/c..") == "a/..b/c..");  // dots inside names are fine
}

TEST_CASE("serve: traversal is refused in every spelling") {
    for (const char* bad : {"/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/x", "/a/%2E%2E/%2E%2E/x", "/a/..",
                            "/a/.%2e/b", "/..%2fetc", "/a%2f..%2f..%2fx", "/a\\..\\b", "/a%5c..%5cb", "/..?x"}) {
        auto r = relative_of(bad);
        REQUIRE_MESSAGE(!r.ok(), bad);
        CHECK(r.error().id == "serve.traversal");
    }
    for (const char* bad : {"/a%0ab", "/a%7f", "/a%01"}) {
        auto r = relative_of(bad);
        REQUIRE_MESSAGE(!r.ok(), bad);
        CHECK(r.error().id == "serve.bad_path");
    }
    CHECK(safe_relative_path("a").error().id == "serve.bad_path");
}

TEST_CASE("serve: files resolve inside the root only") {
    TempDir dir;
    const fs::path root = dir.path / "app";
    write(root / "index.html", "<h1>app</h1>");
    write(root / "sub" / "index.html", "sub");
    write(root / "pkg" / "m.wasm", "asm");
    write(dir.path / "secret.txt", "secret");
    fs::create_symlink(dir.path / "secret.txt", root / "leak.txt");
    fs::create_symlink(dir.path, root / "up");
    fs::create_symlink(root / "index.html", root / "alias.html");

    auto index = static_file(root, "");
    REQUIRE(index.ok());
    CHECK(index->content_type == "text/html; charset=utf-8");
    CHECK(std::string(index->body.begin(), index->body.end()) == "<h1>app</h1>");
    CHECK(static_file(root, "sub/").ok());
    CHECK(static_file(root, "pkg/m.wasm")->content_type == "application/wasm");
    CHECK(static_file(root, "alias.html").ok());  // a symlink that stays inside is fine

    CHECK(static_file(root, "leak.txt").error().id == "serve.outside_root");
    CHECK(static_file(root, "up/secret.txt").error().id == "serve.outside_root");
    CHECK(static_file(root, "nope.html").error().code == slm::ErrorCode::not_found);
    CHECK(static_file(root, "sub").error().code == slm::ErrorCode::not_found);  // a folder without '/'
    CHECK(static_file(dir.path / "missing", "").error().code == slm::ErrorCode::not_found);

    // A FIFO must not block the server.
    REQUIRE(::mkfifo((root / "fifo").c_str(), 0600) == 0);
    CHECK(static_file(root, "fifo").error().code == slm::ErrorCode::not_found);
}

TEST_CASE("serve: content types by extension") {
    CHECK(content_type_for("index.html") == "text/html; charset=utf-8");
    CHECK(content_type_for("/a/INDEX.HTML") == "text/html; charset=utf-8");
    CHECK(content_type_for("app.js") == "text/javascript; charset=utf-8");
    CHECK(content_type_for("app.mjs") == "text/javascript; charset=utf-8");
    CHECK(content_type_for("slm.wasm") == "application/wasm");
    CHECK(content_type_for("m.json") == "application/json");
    CHECK(content_type_for("s.css") == "text/css");
    CHECK(content_type_for("i.png") == "image/png");
    CHECK(content_type_for("i.svg") == "image/svg+xml");
    CHECK(content_type_for("r.txt") == "text/plain; charset=utf-8");
    CHECK(content_type_for("m.slm") == "application/octet-stream");
    CHECK(content_type_for("noext") == "application/octet-stream");
    CHECK(content_type_for(".html") == "application/octet-stream");  // a dotfile, not an extension
    CHECK(content_type_for("dir.html/file") == "application/octet-stream");
}
