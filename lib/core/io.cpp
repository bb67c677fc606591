#include "core/io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace slm {
namespace {

Error io_error(ErrorCode code, const std::string& path, const char* what) {
    return make_error(code, "io." + std::string(what),
                      path + ": cannot " + what + ": " + std::strerror(errno));
}

ErrorCode open_error_code() { return errno == ENOENT ? ErrorCode::not_found : ErrorCode::invalid_input; }

std::string parent_dir(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

Status write_all(int fd, Bytes data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error(ErrorCode::internal, path, "write");
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace

Result<MappedFile> MappedFile::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error(open_error_code(), path, "open");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        Error e = io_error(ErrorCode::invalid_input, path, "stat");
        ::close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(ErrorCode::invalid_input, "io.not_a_file", path + ": not a regular file");
    }
    MappedFile f;
    f.path_ = path;
    f.size_ = static_cast<std::size_t>(st.st_size);
    if (f.size_ > 0) {
        void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            Error e = io_error(ErrorCode::internal, path, "mmap");
            ::close(fd);
            return e;
        }
        f.data_ = static_cast<const std::uint8_t*>(p);
    }
    ::close(fd);
    return f;
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : path_(std::move(o.path_)), data_(o.data_), size_(o.size_), small_pages_(o.small_pages_) {
    o.data_ = nullptr;
    o.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
    if (this != &o) {
        this->~MappedFile();
        new (this) MappedFile(std::move(o));
    }
    return *this;
}

void MappedFile::release(const void* p, std::size_t n) {
#if !defined(__EMSCRIPTEN__)
    const auto begin = reinterpret_cast<std::uintptr_t>(p);
    const auto base = reinterpret_cast<std::uintptr_t>(data_);
    if (data_ == nullptr || begin < base || n > size_ || begin - base > size_ - n) return;
    if (!small_pages_) {
        ::madvise(const_cast<std::uint8_t*>(data_), size_, MADV_NOHUGEPAGE);
        small_pages_ = true;
    }
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t first = (begin + page - 1) / page * page;
    const std::uintptr_t last = (begin + n) / page * page;
    if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
#else
    (void)p, (void)n;
#endif
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return io_error(open_error_code(), path, "open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result<std::vector<std::uint8_t>> read_binary_file(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) return text.take_error();
    return std::vector<std::uint8_t>(text->begin(), text->end());
}

Result<StagedFile> StagedFile::write(const std::string& path, Bytes data, bool durable) {
    static std::atomic<unsigned> counter{0};
    std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                      std::to_string(counter.fetch_add(1));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(open_error_code(), tmp, "create");
    StagedFile staged(path, tmp, durable);  // from here on, removed unless committed
    Status st = write_all(fd, data, tmp);
    if (st && durable && ::fsync(fd) != 0) st = io_error(ErrorCode::internal, tmp, "fsync");
    ::close(fd);
    if (!st) return st.take_error();
    return staged;
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::exchange(other.tmp_, {})), durable_(other.durable_) {}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
    if (this != &other) {
        discard();
        path_ = std::move(other.path_);
        tmp_ = std::exchange(other.tmp_, {});
        durable_ = other.durable_;
    }
    return *this;
}

StagedFile::~StagedFile() { discard(); }

void StagedFile::discard() {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    tmp_.clear();
}

Status StagedFile::commit() {
    if (tmp_.empty()) return make_error(ErrorCode::internal, "io.not_staged", path_ + ": nothing staged to commit");
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
        Error e = io_error(ErrorCode::internal, path_, "rename");
        discard();
        return e;
    }
    tmp_.clear();
    if (!durable_) return {};
    int dfd = ::open(parent_dir(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

Status write_file_atomic(const std::string& path, Bytes data, bool durable) {
    auto staged = StagedFile::write(path, data, durable);
    if (!staged) return staged.take_error();
    return staged->commit();
}

}  // namespace slm
