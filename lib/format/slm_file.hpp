// A mapped .slm file plus its validated view (native builds only).
#pragma once

#include <string>

#include "core/io.hpp"
#include "format/reader.hpp"

namespace slm::format {

class SlmFile {
public:
    static Result<SlmFile> open(const std::string& path, const ReadOptions& options = {});

    const SlmView& view() const { return view_; }
    const std::string& path() const { return map_.path(); }
    Bytes bytes() const { return map_.bytes(); }
    // MappedFile::release: for tensor bytes a Model has copied (packed).
    void release(const void* p, std::size_t n) { map_.release(p, n); }

private:
    MappedFile map_;  // owns the memory the view points into; mappings do not move
    SlmView view_;
};

}  // namespace slm::format
