import Fluent
import Vapor
import YingshangCore

/// A region an account is bound to (issue 21). An account with no rows here keeps the whole deployment; with rows,
/// it sees those regions and everything below them (`RegionScope` in Core holds the rule).
final class UserRegion: Model, @unchecked Sendable {
    static let schema = "user_regions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Parent(key: "region_id") var region: Region
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(userID: UUID, regionID: UUID) {
        self.$user.id = userID
        self.$region.id = regionID
    }
}

struct CreateUserRegions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserRegion.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("created_at", .datetime)
            .unique(on: "user_id", "region_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserRegion.schema).delete()
    }
}

enum RegionScopes {
    /// The account's scope: its bound regions and their descendants; unrestricted when it has none.
    static func scope(of userID: UUID, on db: any Database) async throws -> RegionScope {
        // Asked on every signed-in request, so read without Fluent's model decoding.
        let bound = try await db.sql().raw("SELECT region_id FROM \(ident: UserRegion.schema) WHERE user_id = \(bind: userID)").all()
            .map { try $0.decode(column: "region_id", as: UUID.self).uuidString }
        return try await scope(bound: bound, on: db)
    }

    /// The scope of an account bound to `bound` (region ids as `UUID.uuidString`).
    static func scope(bound: [String], on db: any Database) async throws -> RegionScope {
        if bound.isEmpty { return .unrestricted }
        return RegionScope(bound: bound, parents: try await parents(on: db))
    }

    /// Region id → parent id for the whole tree (a province has a few thousand rows at most).
    static func parents(on db: any Database) async throws -> [String: String?] {
        var parents: [String: String?] = [:]
        for r in try await Region.query(on: db).field(\.$id).field(\.$parent.$id).all() {
            if let id = r.id { parents[id.uuidString] = r.$parent.id?.uuidString }
        }
        return parents
    }

    /// The bound regions of each account in `userIDs` (for the users list).
    static func bound(_ userIDs: [UUID], on db: any Database) async throws -> [UUID: [UUID]] {
        guard !userIDs.isEmpty else { return [:] }
        var out: [UUID: [UUID]] = [:]
        for row in try await UserRegion.query(on: db).filter(\.$user.$id ~~ userIDs).all() {
            out[row.$user.id, default: []].append(row.$region.id)
        }
        return out
    }

    /// Active accounts of `role` whose scope reaches `regionID` (unbound accounts reach every region): who is told
    /// about a region's filing or score, so that a county's news does not reach its neighbours.
    static func users(_ role: Role, reaching regionID: UUID, on db: any Database) async throws -> [User] {
        let users = try await User.query(on: db).filter(\.$role == role.rawValue).filter(\.$isActive == true).all()
        let bound = try await bound(users.compactMap(\.id), on: db)
        if bound.isEmpty { return users }
        let parents = try await parents(on: db)
        return users.filter { u in
            guard let id = u.id, let b = bound[id], !b.isEmpty else { return true }
            return RegionScope(bound: b.map(\.uuidString), parents: parents).covers(regionID.uuidString)
        }
    }

    /// The units inside a scope's regions — whose users, 答疑 threads and unit records the account reaches; nil when
    /// unrestricted.
    static func unitIDs(_ scope: RegionScope, on db: any Database) async throws -> [UUID]? {
        guard let regions = ids(scope) else { return nil }
        guard !regions.isEmpty else { return [] }
        return try await Unit.query(on: db).filter(\.$region.$id ~~ regions).all().compactMap(\.id)
    }

    /// The region ids a scope reaches, as UUIDs for a query filter; nil when unrestricted.
    static func ids(_ scope: RegionScope) -> [UUID]? {
        scope.regionIDs.map { $0.compactMap(UUID.init(uuidString:)) }
    }

    /// Replaces an account's bound regions (inside the caller's transaction).
    static func bind(_ userID: UUID, to regionIDs: [UUID], on db: any Database) async throws {
        try await UserRegion.query(on: db).filter(\.$user.$id == userID).delete()
        for rid in Set(regionIDs) { try await UserRegion(userID: userID, regionID: rid).create(on: db) }
    }
}

extension Request {
    private struct ScopeKey: StorageKey { typealias Value = RegionScope }

    /// The signed-in account's region scope, resolved once per request (`RequireAction` resolves it after the
    /// permission check, so services reading `Caller.scope` see it).
    func regionScope() async throws -> RegionScope {
        if let s = storage[ScopeKey.self] { return s }
        let id = try currentUser().requireID()
        let s: RegionScope
        if let account = SignedInRead.account(id, of: self) {
            s = try await RegionScopes.scope(bound: account.boundRegions, on: db)
        } else {
            s = try await RegionScopes.scope(of: id, on: db)
        }
        storage[ScopeKey.self] = s
        return s
    }

    /// The scope when it is known without a read: resolved before, or the prefetched account is bound to no region.
    func knownRegionScope() -> RegionScope? {
        if let s = storage[ScopeKey.self] { return s }
        guard let id = auth.get(User.self)?.id, let account = SignedInRead.account(id, of: self), account.boundRegions.isEmpty else {
            return nil
        }
        storage[ScopeKey.self] = .unrestricted
        return .unrestricted
    }

    /// The scope when already resolved; a route without `RequireAction` has none and gets the narrowest answer.
    var resolvedRegionScope: RegionScope { storage[ScopeKey.self] ?? RegionScope(regionIDs: []) }
}
