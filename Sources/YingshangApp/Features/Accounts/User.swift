import Fluent
import Vapor
import YingshangCore

final class User: Model, Authenticatable, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "role") var role: String
    @Parent(key: "unit_id") var unit: Unit
    @Field(key: "is_active") var isActive: Bool
    @Field(key: "failed_logins") var failedLogins: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    /// Listed, not found by reflection (Fluent's default, which walks the object with a mirror on every decode and
    /// save): every signed-in request decodes its account. A test checks the list against the reflected one.
    var properties: [any AnyProperty] {
        [$id, $username, $displayName, $passwordHash, $role, $unit, $isActive, $failedLogins, $lockedUntil, $lastLoginAt, $createdAt, $updatedAt]
    }

    init() {}

    init(id: UUID? = nil, username: String, displayName: String, passwordHash: String, role: Role, unitID: UUID) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.role = role.rawValue
        self.$unit.id = unitID
        self.isActive = true
        self.failedLogins = 0
    }

    /// An unknown role string in the database grants nothing: treated as a filer of no unit would be too generous.
    var userRole: Role? { Role(rawValue: role) }

    var lockState: LoginLockout.State {
        get { .init(failedCount: failedLogins, lockedUntil: lockedUntil) }
        set {
            failedLogins = newValue.failedCount
            lockedUntil = newValue.lockedUntil
        }
    }
}

struct CreateUser: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .id()
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("is_active", .bool, .required)
            .field("failed_logins", .int, .required)
            .field("locked_until", .datetime)
            .field("last_login_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "username")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).delete()
    }
}

/// An API bearer token; only its SHA-256 is stored so a database leak does not leak tokens.
final class APIToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Parent(key: "user_id") var user: User
    @Field(key: "expires_at") var expiresAt: Date
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    /// Listed like `User.properties`: every API call decodes its token.
    var properties: [any AnyProperty] { [$id, $tokenHash, $user, $expiresAt, $createdAt] }

    init() {}

    init(tokenHash: String, userID: UUID, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.$user.id = userID
        self.expiresAt = expiresAt
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hex
    }
}

struct CreateAPIToken: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(APIToken.schema)
            .id()
            .field("token_hash", .string, .required)
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("expires_at", .datetime, .required)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(APIToken.schema).delete()
    }
}

struct UserDTO: Content {
    let id: UUID
    let username: String
    let displayName: String
    let role: String
    let roleName: String
    let unitID: UUID
    let isActive: Bool
    let lockedUntil: Date?

    init(_ u: User) throws {
        id = try u.requireID()
        username = u.username
        displayName = u.displayName
        role = u.role
        roleName = u.userRole?.chineseName ?? u.role
        unitID = u.$unit.id
        isActive = u.isActive
        lockedUntil = u.lockedUntil
    }
}

struct UserInput: Content {
    var username: String?
    var displayName: String?
    var role: String?
    var unitID: String?
    var password: String?
    var isActive: Bool?
    /// The regions the account is bound to (issue 21); empty = the whole deployment; absent = unchanged.
    var regionIDs: [String]? = nil
}
