# slm_runtime.wasm comes from a second configure of this source tree with
# cmake/wasm32-wasi.cmake, run as an external project in <build>/wasm whenever
# the wasm32 toolchain is installed (scripts/install-deps.sh installs it).
# Sets SLM_RUNTIME_WASM to the artifact's path, or to "" when it is not built.
option(SLM_WASM_RUNTIME "Also build the WebAssembly runtime (slm_runtime.wasm)" ON)
set(SLM_RUNTIME_WASM "")
if(SLM_WASM_RUNTIME)
  find_program(SLM_WASM_CLANG clang++-14)
  find_program(SLM_WASM_LD wasm-ld-14)
  find_file(SLM_WASI_LIBC libc.a PATHS /usr/lib/wasm32-wasi NO_DEFAULT_PATH)
  find_file(SLM_WASI_LIBCXX libc++.a PATHS /usr/lib/wasm32-wasi NO_DEFAULT_PATH)
  find_file(SLM_WASI_BUILTINS libclang_rt.builtins-wasm32.a PATHS /usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi
            /usr/lib/llvm-14/lib/clang/14/lib/wasi NO_DEFAULT_PATH)
  if(SLM_WASM_CLANG AND SLM_WASM_LD AND SLM_WASI_LIBC AND SLM_WASI_LIBCXX AND SLM_WASI_BUILTINS)
    include(ExternalProject)
    set(SLM_RUNTIME_WASM ${CMAKE_BINARY_DIR}/wasm/apps/wasm/slm_runtime.wasm)
    ExternalProject_Add(wasm_runtime
      SOURCE_DIR ${PROJECT_SOURCE_DIR}
      BINARY_DIR ${CMAKE_BINARY_DIR}/wasm
      CMAKE_ARGS -G Ninja -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/wasm32-wasi.cmake
                 -DCMAKE_BUILD_TYPE=Release -DSLM_WERROR=${SLM_WERROR}
      BUILD_ALWAYS ON
      INSTALL_COMMAND ""
      BUILD_BYPRODUCTS ${SLM_RUNTIME_WASM})
  else()
    message(STATUS "slm_runtime.wasm will not be built: the wasm32 toolchain is missing "
                   "(scripts/install-deps.sh installs clang-14, lld-14, wasi-libc and libc++ for wasm32)")
  endif()
endif()
