import NIOConcurrencyHelpers
import Vapor

/// The requests this instance is answering, so that stopping (SIGTERM, SIGINT) lets them finish before the database
/// pools close. Without it a request still running when Vapor's server had stopped reached `req.db` after the
/// databases were shut down and crashed the process (a survey submission under load, `scripts/bench-surveys.sh`),
/// and an enterprise whose answer was being written got no acknowledgement.
final class InFlight: Sendable {
    private let state = NIOLockedValueBox((count: 0, draining: false))

    /// Counts a request in; false once draining has begun (the caller answers 503 without touching the database).
    func enter() -> Bool {
        state.withLockedValue { s in
            if s.draining { return false }
            s.count += 1
            return true
        }
    }

    /// Counts in work a counted request starts and leaves running (a register import in the background), also while
    /// draining: the request is still counted when it calls this, so the count never falls to 0 in between.
    func hold() {
        state.withLockedValue { $0.count += 1 }
    }

    func leave() {
        state.withLockedValue { $0.count -= 1 }
    }

    var count: Int { state.withLockedValue { $0.count } }

    /// Refuses new requests from now on and waits until those counted in have left, at most `timeout`.
    /// Returns how many were still running when it gave up (0 when all finished).
    func drain(timeout: Duration) async -> Int {
        state.withLockedValue { $0.draining = true }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while count > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return count
    }
}

/// One `hold()` of an `InFlight`, let go exactly once: by `release()`, or when the last reference goes (work that was
/// handed over but never started — a download whose client left before its first byte — must not keep stopping
/// waiting for its whole timeout).
final class InFlightHold: Sendable {
    private let inFlight: InFlight
    private let released = NIOLockedValueBox(false)

    init(_ inFlight: InFlight) {
        self.inFlight = inFlight
        inFlight.hold()
    }

    func release() {
        let first = released.withLockedValue { was in
            defer { was = true }
            return !was
        }
        if first { inFlight.leave() }
    }

    deinit { release() }
}

/// The outermost middleware: counts each request in and out of `InFlight`; once the instance is stopping, answers
/// 503 with `Retry-After` (the client, or the load balancer, retries on another instance).
struct InFlightMiddleware: Middleware {
    let inFlight: InFlight

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard inFlight.enter() else { return request.eventLoop.makeSucceededFuture(Self.stopping(api: request.url.path.hasPrefix("/api/"))) }
        let inFlight = inFlight
        return next.respond(to: request).always { _ in inFlight.leave() }
    }

    /// 503 with `Retry-After`, as the API's error envelope under `/api/` and as plain text elsewhere (built here: the
    /// error middleware is further in and is not reached).
    static func stopping(api: Bool) -> Response {
        let message = "服务正在停止，请稍后重试"
        let res = Response(
            status: .serviceUnavailable,
            body: .init(string: api ? #"{"error":{"code":"shutting_down","message":"\#(message)"}}"# : message + " / shutting down, retry later"))
        res.headers.replaceOrAdd(name: .retryAfter, value: "5")
        res.headers.replaceOrAdd(name: .connection, value: "close")
        res.headers.replaceOrAdd(name: .contentType, value: api ? "application/json; charset=utf-8" : "text/plain; charset=utf-8")
        return res
    }
}

extension Application {
    private struct InFlightKey: StorageKey {
        typealias Value = InFlight
    }

    /// The instance's request count (set by `configure`).
    var inFlight: InFlight { instanceValue(InFlightKey.self) { InFlight() } }
}
