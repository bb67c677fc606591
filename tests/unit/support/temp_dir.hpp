// A fresh directory under the system's temporary directory (TMPDIR), removed
// with everything in it at scope exit.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace slm::test {

class TempDir {
public:
    explicit TempDir(const std::string& tag = "slm-test") {
        static std::atomic<int> counter{0};
        path = std::filesystem::temp_directory_path() /
               (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string str() const { return path.string(); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    // Names of the entries in the directory now, sorted.
    std::vector<std::string> listing() const {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(path)) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

    std::filesystem::path path;
};

}  // namespace slm::test
