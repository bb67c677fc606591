#include "serve/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "serve/content_type.hpp"
#include "serve/url_path.hpp"

namespace slm::serve {
namespace {

Error not_found(const std::string& relative, const std::string& why) {
    return make_error(ErrorCode::not_found, "serve.not_found", "/" + relative + ": " + why);
}

}  // namespace

Result<Response> static_file(const std::filesystem::path& root, const std::string& relative) {
    const std::string name = relative.empty() || relative.back() == '/' ? relative + "index.html" : relative;
    auto path = resolve_under(root, name);
    if (!path) return path.take_error();
    // The resolved path has no symlinks left; O_NOFOLLOW refuses one swapped
    // in since, and O_NONBLOCK keeps a FIFO from blocking the open.
    const int fd = ::open(path->c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return not_found(name, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return not_found(name, "not a regular file");
    }
    Response r;
    r.content_type = std::string(content_type_for(name));
    r.body.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    int read_errno = 0;
    while (got < r.body.size()) {
        const ssize_t n = ::read(fd, r.body.data() + got, r.body.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) read_errno = errno;
        if (n <= 0) break;  // an error, or the file shrank: never more than fstat said
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (read_errno != 0)
        return make_error(ErrorCode::internal, "serve.read", "/" + name + ": " + std::strerror(read_errno));
    r.body.resize(got);
    return r;
}

}  // namespace slm::serve
