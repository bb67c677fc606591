/* The C ABI of slm_runtime.wasm (docs/wasm-abi.md). Every function is exported
 * under its own name. Status values: 0 success, negative an error code below;
 * slm_step() also returns 1 for "a token was produced". */
#ifndef SLM_ABI_H
#define SLM_ABI_H

#include <stdint.h>

#define SLM_ABI_VERSION 1

enum slm_status {
    SLM_OK = 0,
    SLM_STEP_TOKEN = 1,
    SLM_E_NO_MODEL = -1,        /* no model is loaded (never loaded, or released) */
    SLM_E_BAD_ARGUMENT = -2,    /* null pointer, or pointer + length outside memory */
    SLM_E_BAD_UTF8 = -3,        /* the prompt is not valid UTF-8 */
    SLM_E_BAD_OPTION = -4,      /* a sampling setting out of range */
    SLM_E_BAD_MODEL = -5,       /* the bytes are not a valid .slm (structure or checksum) */
    SLM_E_UNSUPPORTED = -6,     /* a valid .slm this runtime cannot run */
    SLM_E_BAD_PROMPT = -7,      /* empty after tokenization, or no room left to generate */
    SLM_E_OUT_OF_MEMORY = -8,   /* the model or its KV cache does not fit */
    SLM_E_NO_GENERATION = -9,   /* slm_step() without a generation in progress */
    SLM_E_INTERNAL = -10
};

/* slm_set_flags() bits; any other bit is SLM_E_BAD_OPTION. */
enum slm_flag {
    SLM_FLAG_IGNORE_EOS = 1u,       /* generate max_tokens even past the end-of-sequence token */
    SLM_FLAG_INT8_ACTIVATIONS = 2u  /* quantized weights meet q8_0 activations (slmctl run --activations q8_0) */
};

#ifdef __cplusplus
extern "C" {
#endif

uint32_t slm_abi_version(void);
void* slm_alloc(uint32_t size);
void slm_free(void* ptr);
int32_t slm_load_model(const uint8_t* bytes, uint32_t length);
int32_t slm_release_model(void);
int32_t slm_reset(void);
int32_t slm_configure(uint32_t max_tokens, float temperature, int32_t top_k, float top_p, float repeat_penalty,
                      double seed);
int32_t slm_set_flags(uint32_t flags);
int32_t slm_generate(const uint8_t* prompt, uint32_t length);
int32_t slm_begin(const uint8_t* prompt, uint32_t length);
int32_t slm_step(void);
int32_t slm_diagnostics(void);
const uint8_t* slm_result_ptr(void);
uint32_t slm_result_len(void);
const uint32_t* slm_tokens_ptr(void);
uint32_t slm_tokens_len(void);
const char* slm_last_error_ptr(void);
uint32_t slm_last_error_len(void);

#ifdef __cplusplus
}
#endif

#endif
