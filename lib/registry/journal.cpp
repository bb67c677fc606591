#include "registry/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/hash.hpp"
#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "registry/crash_points.hpp"

namespace slm::registry {
namespace {

Error corrupt(const std::string& path, std::uint64_t line, std::uint64_t offset, const std::string& why) {
    return make_error(ErrorCode::invalid_input, "registry.journal_corrupt",
                      path + ": line " + std::to_string(line) + " (byte " + std::to_string(offset) + "): " + why);
}

Error io_failure(const std::string& path, const char* what) {
    return make_error(ErrorCode::internal, "registry.journal_io",
                      path + ": cannot " + std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

Result<JournalTail> read_journal(const std::string& path, const JournalPosition& from) {
    auto file = MappedFile::open(path);
    if (!file) {
        if (file.error().code == ErrorCode::not_found && from.offset == 0) return JournalTail{{}, from, 0};
        return file.take_error();
    }
    return parse_journal(file->bytes(), from, path);
}

Result<JournalTail> parse_journal(Bytes bytes, const JournalPosition& from, const std::string& path) {
    JournalTail tail;
    tail.end = from;
    if (bytes.size() < from.offset)
        return corrupt(path, from.records, from.offset,
                       "the journal is shorter (" + std::to_string(bytes.size()) +
                           " bytes) than the registry state says it was; it has been truncated");
    std::uint64_t pos = from.offset;
    while (pos < bytes.size()) {
        std::uint64_t nl = pos;
        while (nl < bytes.size() && bytes[nl] != '\n') ++nl;
        if (nl == bytes.size()) {
            tail.torn_bytes = bytes.size() - pos;
            break;
        }
        const std::string_view line(reinterpret_cast<const char*>(bytes.data() + pos), nl - pos);
        const std::uint64_t line_no = tail.end.records + 1;
        auto body = parse_json(line, path);
        if (!body) return corrupt(path, line_no, pos, body.error().message);
        if (!body->is_object() || !(*body)["seq"].is_number_unsigned() || !(*body)["prev"].is_string() ||
            !(*body)["event"].is_string())
            return corrupt(path, line_no, pos, "expected an object with seq, prev and event");
        if ((*body)["seq"].get<std::uint64_t>() != line_no)
            return corrupt(path, line_no, pos,
                           "seq " + std::to_string((*body)["seq"].get<std::uint64_t>()) + ", expected " +
                               std::to_string(line_no) + " (a record is missing or duplicated)");
        if ((*body)["prev"] != tail.end.head)
            return corrupt(path, line_no, pos,
                           "prev does not match the hash of line " + std::to_string(line_no - 1) +
                               " (the chain is broken: line " + std::to_string(line_no - 1) +
                               " was edited, or a record was removed or reordered)");
        if (canonical_json(*body) != line)
            return corrupt(path, line_no, pos, "the line is not canonical JSON (it was edited)");
        JournalRecord rec{std::move(*body), sha256_ref(as_bytes(line)), line.size() + 1};
        tail.end = {nl + 1, line_no, rec.hash};
        tail.records.push_back(std::move(rec));
        pos = nl + 1;
    }
    return tail;
}

Result<JournalRecord> append_journal(const std::string& path, const JournalPosition& at, nlohmann::json event) {
    event["seq"] = at.records + 1;
    event["prev"] = at.head;
    std::string line = canonical_json(event);
    line += '\n';
    JournalRecord rec{std::move(event), sha256_ref(as_bytes(std::string_view(line).substr(0, line.size() - 1))),
                      line.size()};

    const bool created = ::access(path.c_str(), F_OK) != 0;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return io_failure(path, "open");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) != at.offset) {
        ::close(fd);
        return make_error(ErrorCode::conflict, "registry.journal_moved",
                          path + ": the journal changed under the registry lock (expected " +
                              std::to_string(at.offset) + " bytes)");
    }
    crash_point("journal.before_append");
    std::size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(fd, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            return io_failure(path, "append");
        }
        done += static_cast<std::size_t>(n);
    }
    crash_point("journal.before_fsync");
    if (::fsync(fd) != 0) {
        ::close(fd);
        return io_failure(path, "fsync");
    }
    ::close(fd);
    if (created) {
        const std::string dir = path.substr(0, path.find_last_of('/'));
        if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
    }
    crash_point("journal.after_append");
    return rec;
}

Status truncate_journal(const std::string& path, std::uint64_t offset) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return io_failure(path, "open");
    if (::ftruncate(fd, static_cast<off_t>(offset)) != 0 || ::fsync(fd) != 0) {
        ::close(fd);
        return io_failure(path, "truncate");
    }
    ::close(fd);
    return {};
}

}  // namespace slm::registry
