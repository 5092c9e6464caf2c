import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Every route is tried with every role: allowed roles must get past the guard, others must get 403.
/// A new route that is neither public nor guarded by an action fails `everyRouteIsClassified`.
@Suite("Permission matrix")
struct PermissionMatrixTests {
    /// One demo user per role.
    static let userForRole: [Role: String] = [
        .admin: "admin", .securityAdmin: "secadmin", .auditAdmin: "auditor", .coordinator: "coordinator", .leader: "leader", .unitHead: "unithead", .filer: "filer",
        .assessor: "assessor",
    ]

    @Test("every route is either public or names an action from the permission table")
    func everyRouteIsClassified() async throws {
        try await withApp(.sqlite, seedDemo: false) { app in
            let unclassified = app.routes.all.filter { $0.requiredAction == nil && !$0.isPublic }
                .map { "\($0.method.rawValue) /\($0.path.map(\.description).joined(separator: "/"))" }
            #expect(unclassified.isEmpty, "routes without a permission: \(unclassified)")
            // Sanity: the guard covers the admin-only pages.
            #expect(app.routes.all.contains { $0.requiredAction == .viewAudit })
        }
    }

    @Test("each guarded route with each role: 403 exactly when the table says no", arguments: TestDatabase.available)
    func matrix(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let guarded = app.routes.all.filter { $0.requiredAction != nil }
            #expect(guarded.count >= 30)
            for route in guarded {
                guard let action = route.requiredAction else { continue }
                // A random id: allowed roles reach the handler and get 404, never 403.
                let path = "/" + route.path.map { component -> String in
                    if case .parameter = component { return UUID().uuidString }
                    return component.description
                }.joined(separator: "/")
                let isAPI = path.hasPrefix("/api/")
                for role in Role.allCases {
                    let username = try #require(Self.userForRole[role])
                    let res: TestingHTTPResponse
                    if isAPI {
                        let token = try await app.apiToken(username)
                        res = try await app.send(route.method, path, headers: .bearer(token), raw: route.method == .GET ? nil : "{}")
                    } else {
                        let s = try await app.webSession(username)
                        var headers = s.headers
                        headers.add(name: "X-CSRF-Token", value: s.csrf)  // streamed uploads read the header
                        res = try await app.send(
                            route.method, path, headers: headers, form: route.method == .GET ? nil : ["_csrf": s.csrf])
                    }
                    let label = "\(route.method.rawValue) \(path) as \(role.rawValue)"
                    if Permissions.allows(role, action) {
                        #expect(res.status != .forbidden && res.status != .unauthorized, "\(label) → \(res.status)")
                        // Pages without a record in the path must also render.
                        #expect(res.status.code < 500, "\(label) → \(res.status)")
                    } else {
                        #expect(res.status == .forbidden, "\(label) → \(res.status)")
                        if isAPI { #expect(res.apiError?.code == "forbidden", "\(label)") }
                    }
                }
            }
        }
    }

    @Test("guarded web pages send anonymous visitors to the login page; the API answers 401", arguments: TestDatabase.available)
    func anonymous(db: TestDatabase) async throws {
        try await withApp(db, seedDemo: false) { app in
            for route in app.routes.all where route.requiredAction != nil && route.method == .GET {
                let path = "/" + route.path.map { c -> String in
                    if case .parameter = c { return UUID().uuidString }
                    return c.description
                }.joined(separator: "/")
                let res = try await app.send(.GET, path)
                if path.hasPrefix("/api/") {
                    #expect(res.status == .unauthorized, "\(path)")
                } else {
                    #expect(res.status == .seeOther, "\(path)")
                    #expect(res.headers.first(name: .location)?.hasPrefix("/login?next=") == true, "\(path)")
                }
            }
        }
    }
}
