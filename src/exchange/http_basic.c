/* HTTP Basic credentials (RFC 7617): "Basic " and the base64 of user:password, built into a
 * caller's buffer that the caller wipes after the request. */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "exchange_int.h"

cg_status cg__http_basic_auth(const char *who, const char *user, const char *password,
                              char *out, size_t cap, cg_error *err)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char pair[CG_HTTP_BASIC_MAX + 2];
    size_t nu, np, n, o;

    if (user == NULL || password == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: user and password are needed", who);
    nu = strlen(user);
    np = strlen(password);
    n = nu + 1 + np;
    if (n > CG_HTTP_BASIC_MAX || cap < 6 + 4 * ((n + 2) / 3) + 1)
        return cg__fail(err, CG_E_INVAL, "%s: user and password longer than %d bytes", who,
                        CG_HTTP_BASIC_MAX);
    memcpy(pair, user, nu);
    pair[nu] = ':';
    memcpy(pair + nu + 1, password, np);
    memcpy(out, "Basic ", 6);
    o = 6;
    for (size_t i = 0; i < n; i += 3) {
        const size_t left = n - i;
        unsigned v = (unsigned)(unsigned char)pair[i] << 16;

        if (left > 1)
            v |= (unsigned)(unsigned char)pair[i + 1] << 8;
        if (left > 2)
            v |= (unsigned char)pair[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = left > 1 ? b64[(v >> 6) & 63] : '=';
        out[o++] = left > 2 ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    memset(pair, 0, sizeof(pair));
    return CG_OK;
}
