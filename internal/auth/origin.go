package auth

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
)

type forwardedHTTPSKey struct{}

// WithForwardedHTTPS marks a request's context as reached over HTTPS at a
// trusted reverse proxy (X-Forwarded-Proto: https): the server itself
// speaks plain HTTP, but the browser's origin is https. Only the caller
// knows which proxies are trusted, so it says so here.
func WithForwardedHTTPS(ctx context.Context) context.Context {
	return context.WithValue(ctx, forwardedHTTPSKey{}, true)
}

// requestScheme is the scheme the browser used to reach the server.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if v, _ := r.Context().Value(forwardedHTTPSKey{}).(bool); v {
		return "https"
	}
	return "http"
}

// SameOrigin reports whether origin is the origin the request was sent to:
// the same scheme, host and port. WebSocket upgrades and
// cookie-authenticated writes must pass it. Comparing the host alone would
// let a page served over plain HTTP on the same host name (port 80, which
// a network attacker can fill) talk to the HTTPS server on 443, since
// neither Host nor Origin then names a port.
func SameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return false
	}
	scheme := requestScheme(r)
	if !strings.EqualFold(u.Scheme, scheme) {
		return false
	}
	oHost, oPort := splitHostPort(u.Host, scheme)
	rHost, rPort := splitHostPort(r.Host, scheme)
	return oHost != "" && strings.EqualFold(oHost, rHost) && oPort == rPort
}

// splitHostPort splits a Host header or URL host into host name and port,
// with the scheme's default port when none is given.
func splitHostPort(hostport, scheme string) (string, string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), ""
	}
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return host, port
}
