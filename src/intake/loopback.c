/* The plain-connection exception (IMAP without TLS, Graph over http) holds only for a server
 * on this machine: the host is resolved, and every address it resolves to must be a loopback
 * address. The name is never compared as text ("localhost.example.org" is not this machine),
 * and the address checked is the one the connection then uses (CURLOPT_RESOLVE). */
#include "intake_internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <glib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static bool address_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            return in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

bool intake_url_is_loopback(const char *url, struct curl_slist **pin)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    bool ok = false;
    struct addrinfo *res = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto done;
    /* "[::1]" as the URL writes it; getaddrinfo wants it bare. */
    char *bare = g_strdup(host[0] == '[' ? host + 1 : host);
    size_t bl = strlen(bare);
    if (bl && bare[bl - 1] == ']')
        bare[bl - 1] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    if (getaddrinfo(bare, port, &hints, &res) == 0 && res) {
        ok = true;
        for (struct addrinfo *a = res; a && ok; a = a->ai_next)
            ok = address_is_loopback(a->ai_addr);
    }
    if (ok && pin) {
        char addr[INET6_ADDRSTRLEN] = "";
        const void *src = res->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                                                    : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
        inet_ntop(res->ai_family, src, addr, sizeof addr);
        char *entry = g_strdup_printf(res->ai_family == AF_INET6 ? "%s:%s:[%s]" : "%s:%s:%s", bare, port, addr);
        *pin = curl_slist_append(*pin, entry);
        g_free(entry);
    }
    g_free(bare);
done:
    if (res)
        freeaddrinfo(res);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}
