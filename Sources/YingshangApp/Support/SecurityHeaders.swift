import Vapor

/// Security headers on every response, errors and static files included (等保 2.0 and OWASP): a
/// Content-Security-Policy without inline script (the few page scripts carry this request's nonce), no framing by
/// other sites, no MIME sniffing, no referrer to other sites (survey links carry their token in the path), and HSTS
/// when cookies are secure (the deployment is served over HTTPS).
struct SecurityHeadersMiddleware: Middleware {
    let hsts: Bool

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let nonce = request.cspNonce
        let hsts = hsts
        return next.respond(to: request).map { response in
            for (name, value) in Self.headers(nonce: nonce, hsts: hsts) where !response.headers.contains(name: name) {
                response.headers.replaceOrAdd(name: name, value: value)
            }
            return response
        }
    }

    static func headers(nonce: String, hsts: Bool) -> [(String, String)] {
        var headers = [
            (
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'nonce-\(nonce)'; style-src 'self' 'unsafe-inline'; "
                    + "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
                    + "form-action 'self'; frame-ancestors 'self'"
            ),
            ("X-Frame-Options", "SAMEORIGIN"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ]
        if hsts { headers.append(("Strict-Transport-Security", "max-age=31536000")) }
        return headers
    }
}

extension Request {
    private struct CSPNonceKey: StorageKey {
        typealias Value = String
    }

    /// A fresh random value per request, allowed by the policy for this response's own inline scripts only.
    var cspNonce: String {
        if let nonce = storage[CSPNonceKey.self] { return nonce }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let nonce = Data(bytes).base64EncodedString()
        storage[CSPNonceKey.self] = nonce
        return nonce
    }
}
