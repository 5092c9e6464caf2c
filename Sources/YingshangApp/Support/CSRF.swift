import Vapor

/// Synchroniser-token CSRF protection: one random token per session, required in every web form post.
enum CSRF {
    static let sessionKey = "csrf"
    static let fieldName = "_csrf"

    static func token(for req: Request) -> String {
        if let existing = req.session.data[sessionKey] { return existing }
        let token = [UInt8].random(count: 32).base64URLEncoded
        req.session.data[sessionKey] = token
        return token
    }
}

struct CSRFMiddleware: AsyncMiddleware {
    /// The most body this route accepts; the token is read from the body, so it is collected here first.
    var maxBody: Int = 1 << 16
    /// Streamed uploads carry the token in the `X-CSRF-Token` header; their body must not be collected.
    var headerOnly = false

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if req.method != .GET && req.method != .HEAD {
            let sent: String?
            if headerOnly {
                sent = req.headers.first(name: "X-CSRF-Token")
            } else {
                _ = try await req.body.collect(max: maxBody).get()
                sent = (try? req.content.get(String.self, at: CSRF.fieldName)) ?? req.headers.first(name: "X-CSRF-Token")
            }
            guard let expected = req.session.data[CSRF.sessionKey], let sent,
                constantTimeEquals(Array(expected.utf8), Array(sent.utf8))
            else {
                throw AppError(
                    status: .forbidden, code: "csrf_failed", message: "页面已过期或表单校验失败，请刷新页面后重新提交")
            }
        }
        return try await next.respond(to: req)
    }

    private func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

extension Array where Element == UInt8 {
    var base64URLEncoded: String {
        Data(self).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
