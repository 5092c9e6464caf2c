import Fluent
import Vapor
import YingshangCore

/// `/users`: accounts; unit heads see their own unit's users, admins manage all.
struct UsersWebController {
    struct Row: Encodable {
        let id: String
        let username: String
        let displayName: String
        let roleName: String
        let unitName: String
        let isActive: Bool
        let isLocked: Bool
        let lastLogin: String
        /// The regions the account is bound to; "全部" when none (the whole deployment).
        let regions: String
        /// Whether the viewer may edit the account (the system administrator cannot touch the other administrators').
        let manageable: Bool
    }

    struct IndexBody: Encodable {
        let rows: [Row]
        let q: String
        let pager: Pager
        let canManage: Bool
        let canAssignRoles: Bool
    }

    struct RolePage: Encodable {
        let id: String
        let username: String
        let displayName: String
        let currentRole: String
        let roles: [SelectOption]
        let error: String?
    }

    /// The HTML form: a checkbox posts "on" or nothing, so it cannot decode straight into `UserInput`.
    struct Form: Content {
        var username: String?
        var displayName: String?
        var role: String?
        var unitID: String?
        var password: String?
        var isActive: String?
        /// Checkboxes: none ticked posts nothing, so the form marks that it carries the field.
        var regions: [String]?
        var regionsShown: String?

        var input: UserInput {
            UserInput(
                username: username, displayName: displayName, role: role, unitID: unitID, password: password,
                isActive: isActive != nil, regionIDs: regionsShown == nil ? nil : (regions ?? []))
        }
    }

    struct Values: Encodable {
        let username: String
        let displayName: String
        let role: String
        let unitID: String
        let isActive: Bool
        var regionIDs: [String] = []
    }

    func register(_ g: Guarded) {
        g.get("users", action: .viewUsers, use: index)
        g.get("users", "new", action: .manageUsers, use: new)
        g.post("users", action: .manageUsers, use: create)
        g.get("users", ":id", "edit", action: .manageUsers, use: edit)
        g.post("users", ":id", action: .manageUsers, use: update)
        g.get("users", ":id", "delete", action: .manageUsers, use: confirmDelete)
        g.post("users", ":id", "delete", action: .manageUsers, use: delete)
        g.get("users", ":id", "role", action: .assignRoles, use: roleForm)
        g.post("users", ":id", "role", action: .assignRoles, use: assignRole)
    }

    @Sendable func index(req: Request) async throws -> View {
        let lq = ListQuery(req)
        let page = try await UserService.search(lq, by: req.caller())
        let unitIDs = Set(page.items.map { $0.$unit.id })
        let units = try await Unit.query(on: req.db).filter(\.$id ~~ unitIDs).all()
        let names = Dictionary(uniqueKeysWithValues: units.compactMap { u in u.id.map { ($0, u.name) } })
        let bound = try await RegionScopes.bound(page.items.compactMap(\.id), on: req.db)
        let regionIDs = Set(bound.values.flatMap { $0 })
        let regionNames = regionIDs.isEmpty ? [:] : Dictionary(
            try await Region.query(on: req.db).filter(\.$id ~~ regionIDs).all().compactMap { r in r.id.map { ($0, r.name) } },
            uniquingKeysWith: { a, _ in a })
        let lang = Locale2.current(req)
        let now = req.clock.now()
        let viewer = try req.currentRole()
        let rows = page.items.map { u in
            Row(
                id: u.id?.uuidString ?? "", username: u.username, displayName: u.displayName,
                roleName: u.userRole.map { L10n.roleName($0, lang) } ?? u.role, unitName: names[u.$unit.id] ?? "",
                isActive: u.isActive, isLocked: LoginLockout.isLocked(u.lockState, now: now),
                lastLogin: DisplayTime.format(u.lastLoginAt),
                regions: u.id.flatMap { bound[$0] }.map { $0.compactMap { regionNames[$0] }.sorted().joined(separator: "、") } ?? "全部",
                manageable: RoleAssignment.mayManageAccount(actor: viewer, target: u.userRole))
        }
        return try await req.render(
            "users/index", title: "用户",
            IndexBody(
                rows: rows, q: lq.q, pager: Pager(metadata: page.metadata, basePath: "/users", extra: ["q": lq.q]),
                canManage: Permissions.allows(viewer, .manageUsers), canAssignRoles: Permissions.allows(viewer, .assignRoles)))
    }

    private func form(_ req: Request, user: User?, values: Values, errors: [String: String]) async throws -> View {
        let scope = try await req.regionScope()
        let units = try await Unit.query(on: req.db).sort(\.$code).all().filter { scope.covers($0.$region.id?.uuidString) }
        // Regions an account can be bound to: provinces, cities and counties inside the actor's own scope.
        let regionOptions = try await Region.query(on: req.db).filter(\.$level != RegionLevel.township.rawValue).sort(\.$code).all()
            .filter { scope.covers($0.id?.uuidString) }
            .map { SelectOption(value: $0.id?.uuidString ?? "", label: "\($0.name)（\($0.regionLevel.chineseName)）", selected: values.regionIDs.contains($0.id?.uuidString ?? "")) }
        let unitOptions =
            [SelectOption(value: "", label: "（请选择）", selected: values.unitID.isEmpty)]
            + units.map {
                SelectOption(
                    value: $0.id?.uuidString ?? "", label: "\($0.name)（\($0.code)）",
                    selected: $0.id?.uuidString == values.unitID)
            }
        // A new account gets a working role; an existing one keeps its role here (the security administrator changes it).
        let actor = try req.currentRole()
        let offered = user.flatMap(\.userRole).map { [$0] } ?? RoleAssignment.rolesForNewAccount(actor: actor)
        let roles = offered.map {
            SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == values.role)
        }
        let page = FormPage(
            heading: user == nil ? "新建用户" : "编辑用户",
            action: user.flatMap { $0.id.map { "/users/\($0)" } } ?? "/users", cancelHref: "/users",
            values: values, errors: errors, options: ["role": roles, "unit": unitOptions, "regions": regionOptions], isEdit: user != nil)
        return try await req.render("users/form", title: page.heading, page)
    }

    private func values(_ f: Form) -> Values {
        Values(
            username: f.username ?? "", displayName: f.displayName ?? "", role: f.role ?? "", unitID: f.unitID ?? "",
            isActive: f.isActive != nil, regionIDs: f.regions ?? [])
    }

    @Sendable func new(req: Request) async throws -> View {
        try await form(
            req, user: nil, values: Values(username: "", displayName: "", role: Role.filer.rawValue, unitID: "", isActive: true),
            errors: [:])
    }

    @Sendable func create(req: Request) async throws -> Response {
        let f = try req.content.decode(Form.self)
        return try await req.submitForm(
            successMessage: "已新建用户", redirectTo: "/users",
            renderForm: { try await form(req, user: nil, values: values(f), errors: $0) },
            write: { _ = try await UserService.create(f.input, by: req.caller()) })
    }

    @Sendable func edit(req: Request) async throws -> View {
        let user = try await req.loadManageableUser()
        let v = Values(
            username: user.username, displayName: user.displayName, role: user.role,
            unitID: user.$unit.id.uuidString, isActive: user.isActive,
            regionIDs: (try await RegionScopes.bound([try user.requireID()], on: req.db).values.first ?? []).map(\.uuidString))
        return try await form(req, user: user, values: v, errors: [:])
    }

    @Sendable func update(req: Request) async throws -> Response {
        let user = try await req.loadManageableUser()
        let f = try req.content.decode(Form.self)
        return try await req.submitForm(
            successMessage: "已保存", redirectTo: "/users",
            renderForm: { try await form(req, user: user, values: values(f), errors: $0) },
            write: { try await UserService.update(user, f.input, by: req.caller()) })
    }

    @Sendable func confirmDelete(req: Request) async throws -> View {
        let user = try await req.loadManageableUser()
        let id = try user.requireID()
        return try await req.render(
            "shared/confirm-delete", title: "确认删除",
            ConfirmDeletePage(
                heading: "删除用户", description: "\(user.displayName)（\(user.username)）", action: "/users/\(id)/delete",
                cancelHref: "/users"))
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let user = try await req.loadManageableUser()
        return try await req.submitForm(
            successMessage: "已删除用户 \(user.username)", redirectTo: "/users",
            renderForm: { _ in throw AppError.conflict("") },
            write: { try await UserService.delete(user, by: req.caller()) })
    }

    private func rolePage(_ req: Request, _ user: User, selected: String, error: String?) async throws -> View {
        try await req.render(
            "users/role", title: "调整角色",
            RolePage(
                id: try user.requireID().uuidString, username: user.username, displayName: user.displayName,
                currentRole: user.userRole?.chineseName ?? user.role,
                roles: Role.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == selected) },
                error: error))
    }

    @Sendable func roleForm(req: Request) async throws -> View {
        let user = try await req.loadUser()
        return try await rolePage(req, user, selected: user.role, error: nil)
    }

    @Sendable func assignRole(req: Request) async throws -> Response {
        struct Form: Content { var role: String? }
        let user = try await req.loadUser()
        let role = try req.content.decode(Form.self).role ?? ""
        return try await req.submitForm(
            successMessage: "已调整 \(user.username) 的角色", redirectTo: "/users",
            renderForm: { try await rolePage(req, user, selected: role, error: $0["role"]) },
            write: { try await UserService.assignRole(user, role, by: req.caller()) })
    }
}
