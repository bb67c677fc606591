// The arithmetic of one payload, shared by apply and by create's report:
//   values[i] = f32( double(values[i]) + scale * double(payload.scale) * delta[i] )
// with delta the dense / sparse value or, for a low-rank payload,
// sum_k A[i,k] * B[k,j] accumulated in double (one rounding per element). A
// dense residual r is added in double after the delta, before the rounding.
#pragma once

#include <span>

#include "adapter/format.hpp"

namespace slm::adapter {

// `values` holds the payload's element count; the payload was validated by
// parse_adapter() (sparse indices are then in range).
void add_payload(const Payload& payload, Kind file_kind, double scale, std::span<float> values);

}  // namespace slm::adapter
