import Foundation
import Vapor

/// In-process request metrics, rendered in the Prometheus text format at /metrics.
final class MetricsStore: @unchecked Sendable {
    static let shared = MetricsStore()
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Key: Hashable {
        let method: String
        let route: String
        let status: UInt
    }

    struct Series {
        var count = 0
        var sum = 0.0
        var bucketCounts = [Int](repeating: 0, count: MetricsStore.buckets.count)
    }

    private let lock = NSLock()
    private var series: [Key: Series] = [:]

    func observe(method: String, route: String, status: UInt, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        var s = series[Key(method: method, route: route, status: status)] ?? Series()
        s.count += 1
        s.sum += seconds
        for (i, b) in Self.buckets.enumerated() where seconds <= b { s.bucketCounts[i] += 1 }
        series[Key(method: method, route: route, status: status)] = s
    }

    func render(databaseKind: String, poolMaxPerEventLoop: Int, eventLoops: Int) -> String {
        lock.lock()
        let snapshot = series
        lock.unlock()
        var out = "# HELP yingshang_http_requests_total HTTP requests by method, route and status.\n"
        out += "# TYPE yingshang_http_requests_total counter\n"
        let keys = snapshot.keys.sorted { ($0.route, $0.method, $0.status) < ($1.route, $1.method, $1.status) }
        for k in keys {
            out += "yingshang_http_requests_total{\(labels(k))} \(snapshot[k]?.count ?? 0)\n"
        }
        out += "# HELP yingshang_http_request_duration_seconds Request duration by method and route.\n"
        out += "# TYPE yingshang_http_request_duration_seconds histogram\n"
        for k in keys {
            guard let s = snapshot[k] else { continue }
            for (i, b) in Self.buckets.enumerated() {
                out += "yingshang_http_request_duration_seconds_bucket{\(labels(k)),le=\"\(b)\"} \(s.bucketCounts[i])\n"
            }
            out += "yingshang_http_request_duration_seconds_bucket{\(labels(k)),le=\"+Inf\"} \(s.count)\n"
            out += "yingshang_http_request_duration_seconds_sum{\(labels(k))} \(s.sum)\n"
            out += "yingshang_http_request_duration_seconds_count{\(labels(k))} \(s.count)\n"
        }
        out += "# HELP yingshang_db_pool_max_connections Configured database connections (per event loop × loops).\n"
        out += "# TYPE yingshang_db_pool_max_connections gauge\n"
        out += "yingshang_db_pool_max_connections{database=\"\(databaseKind)\"} \(poolMaxPerEventLoop * eventLoops)\n"
        return out
    }

    private func labels(_ k: Key) -> String {
        "method=\"\(k.method)\",route=\"\(escape(k.route))\",status=\"\(k.status)\""
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// Counts and times every request by its route pattern (not the raw path, to keep label cardinality bounded)
/// and writes one structured log line per request.
struct RequestMetricsMiddleware: Middleware {
    func respond(to req: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = DispatchTime.now().uptimeNanoseconds
        return next.respond(to: req).map { response in Self.observe(req, response, since: start) }
    }

    private static func observe(_ req: Request, _ response: Response, since start: UInt64) -> Response {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let route = req.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        MetricsStore.shared.observe(
            method: req.method.rawValue, route: route, status: response.status.code, seconds: seconds)
        req.logger.info(
            "request",
            metadata: [
                "method": .string(req.method.rawValue), "path": .string(req.url.path), "route": .string(route),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.1f", seconds * 1000)),
                "user": .string(req.auth.get(User.self)?.username ?? "-"),
            ])
        return response
    }
}
