import Fluent
import Vapor
import YingshangCore

/// Validation, scoping and audited writes for user accounts.
enum UserService {
    struct Valid {
        let username: String
        let displayName: String
        let role: Role
        let unitID: UUID
        let password: String?
        let isActive: Bool
        /// nil: leave the bound regions as they are.
        let regionIDs: [UUID]?
    }

    /// `scope` is the acting account's: it may place accounts only in units and regions inside it.
    static func validated(
        _ input: UserInput, existing: User?, actor: User?, scope: RegionScope = .unrestricted, on db: any Database
    ) async throws -> Valid {
        var fields: [String: String] = [:]
        let username = input.username.trimmed.lowercased()
        if let problem = UsernameRules.problem(username) { fields["username"] = problem }
        let displayName = input.displayName.trimmed
        if displayName.isEmpty || displayName.count > 50 { fields["displayName"] = "姓名必填，不超过 50 个字符" }
        let role = Role(rawValue: input.role.trimmed)
        if role == nil { fields["role"] = "请选择角色" }
        var unitID: UUID? = nil
        if let id = input.unitID?.nonBlank.flatMap(UUID.init(uuidString:)), let unit = try await Unit.find(id, on: db) {
            unitID = id
            if !scope.covers(unit.$region.id?.uuidString) { fields["unitID"] = "只能选择本人管辖地区内的单位" }
        } else {
            fields["unitID"] = "请选择所属单位"
        }
        let password = input.password?.nonBlank
        if existing == nil && password == nil {
            fields["password"] = "新用户必须设置初始密码"
        } else if let password {
            let problems = PasswordPolicy.problems(password: password, username: username)
            if !problems.isEmpty { fields["password"] = problems.joined(separator: "；") }
        }
        var regionIDs: [UUID]? = nil
        if let raw = input.regionIDs {
            let ids = raw.compactMap { $0.nonBlank }
            let parsed = ids.compactMap(UUID.init(uuidString:))
            let found = parsed.isEmpty ? 0 : try await Region.query(on: db).filter(\.$id ~~ parsed).count()
            if parsed.count != ids.count || found != Set(parsed).count {
                fields["regionIDs"] = "管辖地区不存在"
            } else if !scope.mayGrant(parsed.map(\.uuidString)) {
                fields["regionIDs"] = scope.isUnrestricted || !parsed.isEmpty
                    ? "只能授予本人管辖范围内的地区" : "您的账户只管辖部分地区，新账户必须选择管辖地区"
            } else {
                regionIDs = Array(Set(parsed))
            }
        } else if existing == nil && !scope.isUnrestricted {
            fields["regionIDs"] = "您的账户只管辖部分地区，新账户必须选择管辖地区"
        }
        let isActive = input.isActive ?? true
        let own = existing != nil && existing?.id == actor?.id
        if let role, let actorRole = actor?.userRole,
            let problem = RoleAssignment.problem(actor: actorRole, current: existing?.userRole, requested: role, ownAccount: own)
        {
            fields["role"] = problem
        }
        // An administrator must not lock themselves out by disabling their own account.
        if own && !isActive { fields["isActive"] = "不能停用自己的账户" }
        if fields["username"] == nil {
            var dup = User.query(on: db).filter(\.$username == username)
            if let id = existing?.id { dup = dup.filter(\.$id != id) }
            if try await dup.count() > 0 { fields["username"] = "用户名 \(username) 已被使用" }
        }
        guard fields.isEmpty, let role, let unitID else { throw AppError.invalid(fields) }
        return Valid(
            username: username, displayName: displayName, role: role, unitID: unitID, password: password,
            isActive: isActive, regionIDs: regionIDs)
    }

    static func create(_ input: UserInput, by caller: Caller) async throws -> User {
        let v = try await validated(input, existing: nil, actor: caller.user, scope: caller.scope, on: caller.db)
        let hash = try await caller.passwords.hash(PasswordPolicy.normalized(v.password ?? ""))
        let user = User(username: v.username, displayName: v.displayName, passwordHash: hash, role: v.role, unitID: v.unitID)
        user.isActive = v.isActive
        try await caller.db.writeTransaction { db in
            try await user.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "user",
                entityID: user.id, before: noSnapshot, after: try UserDTO(user))
            try await bindRegions(user, to: v.regionIDs, by: caller, on: db)
        }
        return user
    }

    static func update(_ user: User, _ input: UserInput, by caller: Caller) async throws {
        let v = try await validated(input, existing: user, actor: caller.user, scope: caller.scope, on: caller.db)
        let before = try UserDTO(user)
        user.username = v.username
        user.displayName = v.displayName
        user.role = v.role.rawValue
        user.$unit.id = v.unitID
        user.isActive = v.isActive
        if let password = v.password {
            user.passwordHash = try await caller.passwords.hash(PasswordPolicy.normalized(password))
            // A reset by the admin also clears a lockout.
            user.lockState = LoginLockout.afterSuccess()
        }
        let userID = try user.requireID()
        try await caller.db.writeTransaction { db in
            try await user.update(on: db)
            if v.password != nil || !v.isActive {
                try await APIToken.query(on: db).filter(\.$user.$id == userID).delete()
            }
            try await AuditLog.record(
                on: db, by: caller, action: v.password == nil ? "update" : "update_password",
                entityType: "user", entityID: user.id, before: before, after: try UserDTO(user))
            try await bindRegions(user, to: v.regionIDs, by: caller, on: db)
        }
    }

    struct RegionBinding: Codable { let regionIDs: [String] }

    /// Replaces the account's bound regions when they change, audited as its own entry (who widened whose reach).
    static func bindRegions(_ user: User, to regionIDs: [UUID]?, by caller: Caller, on db: any Database) async throws {
        guard let regionIDs else { return }
        let uid = try user.requireID()
        let before = try await UserRegion.query(on: db).filter(\.$user.$id == uid).all().map { $0.$region.id }
        guard Set(before) != Set(regionIDs) else { return }
        try await RegionScopes.bind(uid, to: regionIDs, on: db)
        try await AuditLog.record(
            on: db, by: caller, action: "bind_regions", entityType: "user", entityID: uid,
            before: RegionBinding(regionIDs: before.map(\.uuidString).sorted()),
            after: RegionBinding(regionIDs: regionIDs.map(\.uuidString).sorted()))
    }

    /// The security administrator's one change to an account: its role (三员分立). Audited like every change.
    static func assignRole(_ user: User, _ raw: String, by caller: Caller) async throws {
        let actor = caller.user
        guard let role = Role(rawValue: raw.trimmingCharacters(in: .whitespaces)) else { throw AppError.invalid(["role": "请选择角色"]) }
        if let problem = RoleAssignment.problem(
            actor: caller.role, current: user.userRole, requested: role, ownAccount: user.id == actor.id)
        {
            throw AppError.invalid(["role": problem])
        }
        guard role.rawValue != user.role else { return }
        let before = try UserDTO(user)
        user.role = role.rawValue
        let userID = try user.requireID()
        try await caller.db.writeTransaction { db in
            try await user.update(on: db)
            // Tokens carry the old role's reach until they expire: end them.
            try await APIToken.query(on: db).filter(\.$user.$id == userID).delete()
            try await AuditLog.record(
                on: db, by: caller, action: "assign_role", entityType: "user", entityID: user.id, before: before,
                after: try UserDTO(user))
        }
    }

    static func delete(_ user: User, by caller: Caller) async throws {
        let id = try user.requireID()
        if id == caller.user.id { throw AppError.conflict("不能删除自己的账户") }
        let before = try UserDTO(user)
        try await caller.db.writeTransaction { db in
            try await APIToken.query(on: db).filter(\.$user.$id == id).delete()
            try await user.delete(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "delete", entityType: "user",
                entityID: id, before: before, after: noSnapshot)
        }
    }

    static func search(_ lq: ListQuery, by caller: Caller) async throws -> Fluent.Page<User> {
        let me = caller.user
        var query = User.query(on: caller.db)
        if caller.role.isUnitScoped { query = query.filter(\.$unit.$id == me.$unit.id) }
        if let units = try await RegionScopes.unitIDs(caller.scope, on: caller.db) { query = query.filter(\.$unit.$id ~~ units) }
        if !lq.q.isEmpty {
            query = query.group(.or) { $0.filter(\.$username ~~ lq.q).filter(\.$displayName ~~ lq.q) }
        }
        return try await query.sort(\.$username).paginate(lq.pageRequest)
    }



    /// An account the caller may see (`forChange: false`) or change. Unit-scoped roles reach their own unit's
    /// accounts; a region-bound account reaches the accounts of units in its regions (others do not exist for it)
    /// and changes only those bound inside its own scope (a county administrator cannot touch a provincial
    /// account); the security and audit administrators' accounts are out of the system administrator's reach.
    static func find(_ id: UUID, by caller: Caller, forChange: Bool) async throws -> User {
        guard let user = try await User.find(id, on: caller.db) else { throw AppError.notFound("用户") }
        guard UnitScope.canAccess(role: caller.role, userUnitID: caller.user.$unit.id.uuidString, recordUnitID: user.$unit.id.uuidString)
        else { throw AppError.forbidden("只能查看本单位的用户") }
        let scope = caller.scope
        if !scope.isUnrestricted {
            let unit = try await Unit.find(user.$unit.id, on: caller.db)
            guard scope.covers(unit?.$region.id?.uuidString) else { throw AppError.notFound("用户") }
            let bound = try await RegionScopes.bound([try user.requireID()], on: caller.db)[try user.requireID()] ?? []
            if forChange, !scope.mayGrant(bound.map(\.uuidString)) {
                throw AppError.forbidden("该账户的管辖范围超出您的管辖地区")
            }
        }
        return user
    }

    static func findManageable(_ id: UUID, by caller: Caller) async throws -> User {
        let user = try await find(id, by: caller, forChange: true)
        guard RoleAssignment.mayManageAccount(actor: caller.role, target: user.userRole) else {
            throw AppError.forbidden("安全管理员、审计管理员的账户不能由系统管理员修改")
        }
        return user
    }
}
