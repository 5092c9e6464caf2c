import Fluent
import SQLKit
import Vapor
import YingshangCore

/// `/healthz`, `/metrics` and `/api/v1/openapi.json`: open to anonymous callers (load balancers, Prometheus).
struct OperationsController {
    struct Health: Content {
        let status: String
        let database: String
        let version: String
    }

    func register(_ app: any RoutesBuilder) {
        app.get("healthz", use: health).markPublic()
        app.get("metrics", use: metrics).markPublic()
        app.get("api", "v1", "openapi.json", use: openapi).markPublic()
    }

    /// 200 when the database answers; 503 otherwise so the load balancer takes the instance out.
    @Sendable func health(req: Request) async throws -> Response {
        let kind = req.application.settings.database.engine.rawValue
        var ok = true
        do {
            if let sql = req.db as? any SQLDatabase {
                _ = try await sql.raw("SELECT 1").all()
            }
        } catch {
            ok = false
        }
        let body = Health(status: ok ? "ok" : "unavailable", database: kind, version: YingshangVersion.current)
        return try await body.encodeResponse(status: ok ? .ok : .serviceUnavailable, for: req)
    }

    @Sendable func metrics(req: Request) async throws -> Response {
        let text = MetricsStore.shared.render(
            databaseKind: req.application.settings.database.engine.rawValue,
            poolMaxPerEventLoop: req.application.settings.database.engine == .postgres ? 4 : 1,
            eventLoops: req.application.eventLoopGroup.makeIterator().reduce(0) { n, _ in n + 1 })
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        return response
    }

    @Sendable func openapi(req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: OpenAPIDocument.json))
        response.headers.contentType = .json
        return response
    }
}
