// Little-endian byte access and overflow-checked arithmetic for parsers.
// Readers go through ByteReader so that no size is trusted before it is
// compared with what is actually there.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slm {

using Bytes = std::span<const std::uint8_t>;

template <class T>
inline T load_le(const std::uint8_t* p) {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, p, sizeof(T));  // all supported targets are little-endian
    return v;
}

// a + b without wrap-around; false when the sum does not fit.
inline bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    return !__builtin_add_overflow(a, b, &out);
}
inline bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    return !__builtin_mul_overflow(a, b, &out);
}

// True when [offset, offset+length) lies inside [0, size).
inline bool range_inside(std::uint64_t offset, std::uint64_t length, std::uint64_t size) {
    std::uint64_t end;
    return checked_add(offset, length, end) && end <= size;
}

// Sequential little-endian reader over a bounded span. Every read checks the
// remaining length; after a failed read ok() is false and reads return zero.
class ByteReader {
public:
    explicit ByteReader(Bytes data) : data_(data) {}

    template <class T>
    T read() {
        if (!ok_ || data_.size() - pos_ < sizeof(T)) {
            ok_ = false;
            return T{};
        }
        T v = load_le<T>(data_.data() + pos_);
        pos_ += sizeof(T);
        return v;
    }
    // A view of the next n bytes (empty and !ok() if fewer remain).
    Bytes take(std::uint64_t n) {
        if (!ok_ || data_.size() - pos_ < n) {
            ok_ = false;
            return {};
        }
        Bytes out = data_.subspan(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return out;
    }
    bool ok() const { return ok_; }
    std::size_t position() const { return pos_; }
    std::size_t remaining() const { return data_.size() - pos_; }

private:
    Bytes data_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// Appends little-endian values to a growing buffer (used by writers).
class ByteWriter {
public:
    template <class T>
    void write(T v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const std::size_t at = buf_.size();
        buf_.resize(at + sizeof(T));
        std::memcpy(buf_.data() + at, &v, sizeof(T));
    }
    void write_bytes(Bytes b) {
        if (b.empty()) return;
        const std::size_t at = buf_.size();
        buf_.resize(at + b.size());
        std::memcpy(buf_.data() + at, b.data(), b.size());
    }
    void write_bytes(std::string_view s) {
        write_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    }
    void pad_to(std::size_t alignment) {
        while (buf_.size() % alignment != 0) buf_.push_back(0);
    }
    std::vector<std::uint8_t>& buffer() { return buf_; }
    std::size_t size() const { return buf_.size(); }

private:
    std::vector<std::uint8_t> buf_;
};

inline std::string_view as_string_view(Bytes b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline Bytes as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace slm
