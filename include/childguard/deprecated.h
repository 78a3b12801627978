/*
 * childguard — the names used before the lifetime vocabulary and module prefixes of
 * docs/api-c.md. They stay as aliases for one minor release (until 0.3) so that callers can
 * move at their pace; define CG_NO_DEPRECATED before including childguard.h to check that a
 * program uses none of them. Source compatibility only: the library exports the new names.
 */
#ifndef CHILDGUARD_DEPRECATED_H
#define CHILDGUARD_DEPRECATED_H

#ifndef CG_NO_DEPRECATED

#define cg_text_session_new      cg_text_session_create
#define cg_text_session_free     cg_text_session_destroy
#define cg_policy_load           cg_policy_open
#define cg_policy_load_buffer    cg_policy_create
#define cg_policy_free           cg_policy_destroy
#define cg_vision_model_load     cg_vision_model_open
#define cg_vision_model_load_mem cg_vision_model_open_mem
#define cg_vision_model_destroy  cg_vision_model_close
#define cg_text_model_load       cg_text_model_open
#define cg_text_model_destroy    cg_text_model_close
#define cg_pdq_index_free        cg_pdq_index_destroy
#define cg_exact_index_free      cg_exact_index_destroy
#define cg_harm_name             cg_text_harm_name
#define cg_facet_name            cg_text_facet_name
#define cg_alert_name            cg_text_alert_name
#define cg_harm_from_name        cg_text_harm_from_name
#define cg_audience_name         cg_policy_audience_name
#define cg_age_band_name         cg_policy_age_band_name
#define cg_apikey                cg_key
#define cg_apikey_spec           cg_key_spec
#define cg_apikey_create         cg_keys_create
#define cg_apikey_create_ex      cg_keys_create_ex
#define cg_apikey_generation     cg_keys_generation
#define cg_apikey_list           cg_keys_list
#define cg_apikey_may_read_bank  cg_keys_may_read_bank
#define cg_apikey_revoke         cg_keys_revoke
#define cg_apikey_verify         cg_keys_verify
#define cg_scopes_allow          cg_keys_scopes_allow
#define cg_scopes_format         cg_keys_scopes_format
#define cg_scopes_parse          cg_keys_scopes_parse
#define cg_bank_vpdq_format      cg_vpdq_format_json

/* cg_bank_vpdq_parse read the exchange form into a bare frame array; cg_vpdq_parse reads both
 * forms into a cg_vpdq. */
static inline cg_status cg_bank_vpdq_parse(const char *text, size_t len, size_t max_frames,
                                           cg_vpdq_frame **out, size_t *n, cg_error *err)
{
    cg_vpdq *v = NULL;
    cg_status st = cg_vpdq_parse(text, len, max_frames ? max_frames : CG_BANK_VPDQ_MAX_FRAMES,
                                 &v, err);

    *out = NULL;
    *n = 0;
    if (st == CG_OK) {
        *out = v->frames;
        *n = v->count;
        v->frames = NULL;
        cg_vpdq_destroy(v);
    }
    return st;
}

#endif /* CG_NO_DEPRECATED */

#endif /* CHILDGUARD_DEPRECATED_H */
