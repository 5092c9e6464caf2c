import Fluent
import NIOConcurrencyHelpers
import Foundation
import Testing
import Vapor
import VaporTesting
@testable import YingshangApp

@Suite("Health, metrics and OpenAPI")
struct OperationsTests {
    @Test("healthz reports ok and which database", arguments: TestDatabase.available)
    func healthz(db: TestDatabase) async throws {
        try await withApp(db, seedDemo: false) { app in
            let res = try await app.send(.GET, "/healthz")
            #expect(res.status == .ok)
            let body = try res.decode(OperationsController.Health.self)
            #expect(body.status == "ok")
            #expect(body.database == (db == .sqlite ? "sqlite" : "postgres"))
            // The one way the code tells the engines apart agrees with the database the test started.
            #expect(app.db.engine == (db == .sqlite ? .sqlite : .postgres))
            #expect(try app.db.sql().engine == app.db.engine)
            #expect(!body.version.isEmpty)
        }
    }

    @Test("every documented API path and method is a real route, and every API route is documented")
    func openapiMatchesRoutes() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            let res = try await app.send(.GET, "/api/v1/openapi.json")
            #expect(res.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(res.text.utf8)) as? [String: Any])
            #expect(json["openapi"] as? String == "3.1.0")
            let paths = try #require(json["paths"] as? [String: [String: Any]])
            let routes = Set(app.routes.all.map { route in
                route.method.rawValue.lowercased() + " /" + route.path.map { c -> String in
                    if case .parameter(let name) = c { return "{\(name)}" }
                    return c.description
                }.joined(separator: "/")
            })
            var documented = Set<String>()
            for (path, methods) in paths {
                for method in methods.keys { documented.insert("\(method) \(path)") }
            }
            #expect(documented.subtracting(routes).isEmpty, "documented but missing: \(documented.subtracting(routes))")
            let apiRoutes = routes.filter { $0.contains(" /api/v1/") }
            #expect(apiRoutes.subtracting(documented).isEmpty, "undocumented: \(apiRoutes.subtracting(documented))")
        }
    }

    @Test("the API keeps its document's promises: every path parameter declared, 405 with Allow for an undeclared method, bad paging refused, a still-referenced record's delete answered 409 not 500", arguments: TestDatabase.available)
    func apiContract(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let json = try #require(try JSONSerialization.jsonObject(with: Data(try await app.send(.GET, "/api/v1/openapi.json").text.utf8)) as? [String: Any])
            let paths = try #require(json["paths"] as? [String: [String: Any]])
            for (path, methods) in paths {
                let wanted = Set(path.split(separator: "{").dropFirst().compactMap { $0.split(separator: "}").first.map(String.init) })
                for (method, op) in methods {
                    let declared = Set(((op as? [String: Any])?["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "path" }
                        .compactMap { $0["name"] as? String })
                    #expect(declared == wanted, "\(method) \(path)")
                }
            }
            let token = try await app.apiToken("admin")
            let trace = try await app.send(.TRACE, "/api/v1/regions", headers: .bearer(token))
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers.first(name: "Allow")?.contains("GET") == true)
            #expect(try await app.send(.GET, "/api/v1/no-such-thing", headers: .bearer(token)).status == .notFound)
            for query in ["per=null", "per=0", "per=201", "page=-1", "page=99999999999999999999", "per=5&per=x"] {
                let res = try await app.send(.GET, "/api/v1/regions?\(query)", headers: .bearer(token))
                #expect(res.status == .unprocessableEntity, "\(query)")
            }
            #expect(try await app.send(.GET, "/api/v1/regions?page=2&per=5", headers: .bearer(token)).status == .ok)
            // A county with no children and no units, but assessed in a campaign: still referenced.
            let region = Region(code: "370798", name: "测试县", level: .county, parentID: nil)
            try await region.create(on: app.db)
            let county = try region.requireID()
            try await CampaignRegion(campaignID: try await CampaignTests.demoCampaign(app).requireID(), regionID: county).create(on: app.db)
            let delete = try await app.send(.DELETE, "/api/v1/regions/\(county)", headers: .bearer(token))
            #expect(delete.status == .conflict, "\(delete.text)")
            #expect(try await Region.find(county, on: app.db) != nil)
        }
    }

    /// The in-process tester rewrites Content-Length to the body it holds, so the middleware is driven directly here
    /// with the header as a client announces it; the browser tier sends a 100 MB announcement over a real socket.
    @Test("a body announced over its route's limit is refused with 413 before it is read; one within the limit is not")
    func announcedBodyLimit() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            struct Reached: Responder {
                func respond(to request: Request) -> EventLoopFuture<Response> { request.eventLoop.makeSucceededFuture(Response(status: .ok)) }
            }
            // One instance for every request, as in the application: its rules are read once per route.
            let middleware = AnnouncedBodyLimitMiddleware()
            func send(_ method: HTTPMethod, _ path: String, type: String, length: Int) async throws -> HTTPStatus {
                let req = Request(
                    application: app, method: method, url: URI(path: path),
                    headers: ["Content-Type": type, "Content-Length": String(length)], on: app.eventLoopGroup.next())
                req.route = app.routes.all.first { route in
                    route.method == method && route.path.count == req.url.path.split(separator: "/").count
                        && zip(route.path, req.url.path.split(separator: "/")).allSatisfy { p, c in
                            if case .constant(let k) = p { return k == c }
                            return true
                        }
                }
                do {
                    return try await middleware.respond(to: req, chainingTo: Reached()).get().status
                } catch let e as AppError {
                    #expect(e.message.contains("超过此处上限"))
                    return e.status
                }
            }
            // JSON and forms: the application's 1 MB.
            let s1 = try await send(.POST, "/api/v1/auth/login", type: "application/json", length: 104_857_600)
            #expect(s1 == .payloadTooLarge)
            let s2 = try await send(.POST, "/api/v1/auth/login", type: "application/json", length: 2_000)
            #expect(s2 == .ok)
            let s3 = try await send(.POST, "/login", type: "application/x-www-form-urlencoded", length: 2 << 20)
            #expect(s3 == .payloadTooLarge)
            // A guarded route's own limit: the register import takes up to 200 MB.
            let importPath = "/campaigns/\(UUID())/register/import"
            let s4 = try await send(.POST, importPath, type: "multipart/form-data; boundary=x", length: 5_000_000)
            #expect(s4 == .ok)
            let s5 = try await send(.POST, importPath, type: "multipart/form-data; boundary=x", length: 300_000_000)
            #expect(s5 == .payloadTooLarge)
            // The same routes again, now from the remembered rules.
            #expect(try await send(.POST, "/api/v1/auth/login", type: "application/json", length: 104_857_600) == .payloadTooLarge)
            #expect(try await send(.POST, "/api/v1/auth/login", type: "application/json", length: 2_000) == .ok)
            #expect(try await send(.POST, importPath, type: "multipart/form-data; boundary=x", length: 300_000_000) == .payloadTooLarge)
            #expect(try await send(.POST, importPath, type: "multipart/form-data; boundary=x", length: 5_000_000) == .ok)
        }
    }

    @Test("the body limit's quick reading of Content-Type agrees with Vapor's parsed media type")
    func contentTypeQuickPath() {
        let values = [
            "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "Application/JSON",
            "application/json;charset=UTF-8", "text/plain", "*/*", "application/*", "multipart/form-data; boundary=x",
            "application/jsonx", " application/json ", "application/json, text/plain", "", "json",
        ]
        for value in values {
            let headers: HTTPHeaders = ["Content-Type": value]
            let vapor = headers.contentType.map { $0 == .json || $0 == .urlEncodedForm } ?? false
            #expect(AnnouncedBodyLimitMiddleware.isJSONOrForm(headers) == vapor, "\(value)")
        }
        #expect(!AnnouncedBodyLimitMiddleware.isJSONOrForm([:]))
    }

    @Test("stopping lets the requests already running finish their database work, then answers 503 without touching it")
    func drainBeforeShutdown() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            let finished = NIOLockedValueBox(false)
            // A request that is still reading the database when the instance is told to stop.
            app.get("test-slow") { req async throws -> String in
                try await Task.sleep(for: .milliseconds(300))
                let n = try await User.query(on: req.db).count()
                finished.withLockedValue { $0 = true }
                return "\(n)"
            }
            let slow = Task { try await app.send(.GET, "/test-slow") }
            for _ in 0..<400 where app.inFlight.count == 0 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(app.inFlight.count == 1)
            let left = await app.inFlight.drain(timeout: .seconds(10))
            #expect(left == 0)
            // drain returned only once the running request had done its database work.
            #expect(finished.withLockedValue { $0 })
            #expect(try await slow.value.status == .ok)
            let refused = try await app.send(.GET, "/healthz")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers.first(name: .retryAfter) == "5")
            // An API client gets the API's error envelope.
            let api = try await app.send(.GET, "/api/v1/me")
            #expect(api.status == .serviceUnavailable)
            #expect(api.headers.contentType?.description.hasPrefix("application/json") == true)
            #expect(try JSONSerialization.jsonObject(with: Data(api.text.utf8)) is [String: Any])
            #expect(api.text.contains("shutting_down"))
            // …as the API document declares for every operation, with its Retry-After header (clients generated from
            // the document retry on it).
            let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
            for (path, methods) in paths {
                for (method, op) in methods {
                    let unavailable = (op["responses"] as? [String: Any])?["503"] as? [String: Any]
                    #expect((unavailable?["headers"] as? [String: Any])?["Retry-After"] != nil, "\(method) \(path)")
                }
            }
            #expect(app.inFlight.count == 0)
        }
    }

    @Test("a download answered before stopping is written out in full while stopping waits; one never started does not hold it")
    func drainWaitsForDownload() async throws {
        let inFlight = InFlight()
        #expect(inFlight.enter())  // the request that asks for the export
        let res = Downloads.stream(name: "名单.csv", type: "text/csv", inFlight: inFlight) { writer in
            for i in 0..<3 { try await writer.write(.buffer(ByteBuffer(string: "行\(i)\r\n"))) }
        }
        inFlight.leave()  // its handler has returned the response; the body is not written yet
        let drained = Task { await inFlight.drain(timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(inFlight.count == 1)
        #expect(!inFlight.enter())  // stopping has begun: a new request is refused…
        // …but the download already answered is written out whole, and then stopping finishes.
        let body = try await res.body.collect(on: MultiThreadedEventLoopGroup.singleton.next()).get()
        #expect(body.map { String(buffer: $0) } == "行0\r\n行1\r\n行2\r\n")
        #expect(await drained.value == 0)
        // A response dropped before its body was written (the client went away) lets go of its count.
        let other = InFlight()
        do {
            #expect(other.enter())
            _ = Downloads.stream(name: "x.csv", type: "text/csv", inFlight: other) { _ in }
            other.leave()
        }
        #expect(other.count == 0)
    }

    @Test("stopping waits for a register import started by a request: the job is finished, not left running")
    func drainWaitsForImport() async throws {
        try await withApp(.sqlite) { app in
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let before = try await Enterprise.register(of: cid, on: app.db).count()
            let rows = 30_000
            var lines = ["统一社会信用代码,企业名称,所属乡镇/街道"]
            for i in 0..<rows { lines.append("\(RegisterSamplingTests.code(200_000 + i)),停机测试企业\(i),370799101") }
            let assessor = try await app.webSession("assessor")
            var headers = assessor.headers
            headers.add(name: "X-CSRF-Token", value: assessor.csrf)
            let started = try await app.testing().sendRequest(.PUT, "/campaigns/\(cid)/register/upload?name=stop.csv", headers: headers) { req in
                req.body = ByteBuffer(string: lines.joined(separator: "\r\n"))
            }
            #expect(started.status == .ok)
            // The request has been answered; its import runs on. A stop now must wait for it.
            let left = await app.inFlight.drain(timeout: .seconds(60))
            #expect(left == 0)
            let job = try #require(try await ImportJob.query(on: app.db).sort(\.$createdAt, .descending).first())
            #expect(job.status == "done")
            #expect(try await Enterprise.register(of: cid, on: app.db).count() == before + rows)
        }
    }

    @Test("static files: the stylesheet, script and icon by GET and HEAD; other methods and other paths never reach them")
    func staticFiles() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            let css = try String(contentsOfFile: packageRoot + "/Public/css/app.css", encoding: .utf8)
            let get = try await app.send(.GET, "/css/app.css")
            #expect(get.status == .ok)
            #expect(get.text == css)
            #expect(try await app.send(.HEAD, "/js/app.js").status == .ok)
            #expect(try await app.send(.GET, "/favicon.ico").status == .ok)
            // A POST to the stylesheet's path is not answered with the stylesheet.
            let post = try await app.send(.POST, "/css/app.css", raw: "{}")
            #expect(post.status != .ok)
            #expect(post.text != css)
            // Missing files and paths outside Public/'s entries: the router answers (404), not the file system.
            #expect(try await app.send(.GET, "/css/missing.css").status == .notFound)
            #expect(try await app.send(.GET, "/app.css").status == .notFound)
            #expect(try await app.send(.GET, "/css/../Package.swift").status != .ok)
            let prefixes = StaticFilesMiddleware(publicDirectory: packageRoot + "/Public/").prefixes
            #expect(prefixes == ["/css/", "/favicon.ico", "/js/"])
            #expect(StaticFilesMiddleware.isStatic("/css/app.css", prefixes: prefixes))
            #expect(!StaticFilesMiddleware.isStatic("/api/v1/survey-responses", prefixes: prefixes))
            #expect(!StaticFilesMiddleware.isStatic("/favicon.ico.bak", prefixes: prefixes))
            #expect(!StaticFilesMiddleware.isStatic("/cssx/app.css", prefixes: prefixes))
        }
    }

    @Test("metrics count requests by route pattern in Prometheus text")
    func metrics() async throws {
        try await withApp(.sqlite) { app in
            let token = try await app.apiToken("admin")
            let unit = try await app.unitID("SPJ")
            _ = try await app.send(.GET, "/api/v1/units/\(unit)", headers: .bearer(token))
            let res = try await app.send(.GET, "/metrics")
            #expect(res.status == .ok)
            #expect(res.headers.contentType?.description.hasPrefix("text/plain") == true)
            #expect(res.text.contains("yingshang_http_requests_total{method=\"GET\",route=\"/api/v1/units/:id\",status=\"200\"}"))
            #expect(res.text.contains("yingshang_http_request_duration_seconds_bucket"))
            #expect(res.text.contains("yingshang_db_pool_max_connections{database=\"sqlite\"}"))
        }
    }

    @Test("unknown pages get a Chinese 404 page; unknown API paths a JSON 404")
    func notFound() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            let page = try await app.send(.GET, "/no-such-page")
            #expect(page.status == .notFound)
            #expect(page.text.contains("页面不存在"))
            let api = try await app.send(.GET, "/api/v1/no-such-thing")
            #expect(api.status == .notFound)
            #expect(api.apiError?.code == "not_found")
        }
    }

    @Test("English is available with ?lang=en and remembered in the session")
    func english() async throws {
        try await withApp(.sqlite) { app in
            let s = try await app.webSession("admin")
            let en = try await app.send(.GET, "/units?lang=en", headers: s.headers)
            #expect(en.text.contains("<html lang=\"en\">"))
            #expect(en.text.contains("Units"))
            let next = try await app.send(.GET, "/", headers: s.headers)
            #expect(next.text.contains("Log out"))
        }
    }

    @Test("the AppConfig names each malformed variable")
    func configErrors() throws {
        #expect(throws: AppConfig.Invalid.self) {
            try AppConfig.fromEnvironment(["DATABASE_URL": "mysql://x", "YINGSHANG_BCRYPT_COST": "99"])
        }
        do {
            _ = try AppConfig.fromEnvironment(["DATABASE_URL": "mysql://x", "YINGSHANG_BCRYPT_COST": "99"])
        } catch let e as AppConfig.Invalid {
            #expect(e.problems.count == 2)
        }
        let config = try AppConfig.fromEnvironment(["YINGSHANG_DATA_DIR": "/tmp/ys"])
        #expect(config.database == .sqlite(path: "/tmp/ys/yingshang.sqlite"))
        let pg = try AppConfig.fromEnvironment(["DATABASE_URL": "postgres://u:p@h/db"])
        #expect(pg.database.engine == .postgres)
        #expect(config.publicURL == nil)
        #expect(try AppConfig.fromEnvironment(["YINGSHANG_PUBLIC_URL": "https://ys.example.gov.cn/"]).publicURL == "https://ys.example.gov.cn")
        for bad in ["ys.example.gov.cn", "ftp://ys.example.gov.cn", "https://"] {
            #expect(throws: AppConfig.Invalid.self) { try AppConfig.fromEnvironment(["YINGSHANG_PUBLIC_URL": bad]) }
        }
        // The executor: a typo must not silently pick one; the message names the variable and its two values.
        for good in ["", "event-loops", "swift"] { #expect(throws: Never.self) { try AppConfig.fromEnvironment(["YINGSHANG_EXECUTOR": good]) } }
        for bad in ["Swift", "eventloops", "nio"] {
            #expect {
                try AppConfig.fromEnvironment(["YINGSHANG_EXECUTOR": bad])
            } throws: { error in
                (error as? AppConfig.Invalid)?.problems == ["YINGSHANG_EXECUTOR 应为 event-loops（默认）或 swift"]
            }
        }
    }
}
