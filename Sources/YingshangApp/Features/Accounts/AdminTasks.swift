import Fluent
import SQLKit
import Vapor
import YingshangCore

/// Account and maintenance work run from the command line (no request, actor "system").
public enum AdminTasks {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates a user in the unit with `unitCode`, bound to the regions with `regionCodes` (none: the whole
    /// deployment); validation errors name the flag's field.
    public static func createUser(
        app: Application, username: String, displayName: String?, role: String, unitCode: String, regionCodes: [String] = [],
        password: String
    ) async throws {
        guard let unit = try await Unit.query(on: app.db).filter(\.$code == unitCode).first(), let unitID = unit.id else {
            throw Failure(description: "单位代码 \(unitCode) 不存在（--unit）")
        }
        var found: [UUID] = []
        for code in regionCodes {
            guard let r = try await Region.query(on: app.db).filter(\.$code == code).first(), let id = r.id else {
                throw Failure(description: "行政区划代码 \(code) 不存在（--region）")
            }
            found.append(id)
        }
        let regionIDs = found
        let input = UserInput(
            username: username, displayName: displayName ?? username, role: role, unitID: unitID.uuidString,
            password: password, isActive: true)
        let valid: UserService.Valid
        do {
            valid = try await UserService.validated(input, existing: nil, actor: nil, on: app.db)
        } catch let e as AppError {
            throw Failure(description: (e.fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                .joined(separator: "\n"))
        }
        let user = User(
            username: valid.username, displayName: valid.displayName,
            passwordHash: try await app.password.async.hash(PasswordPolicy.normalized(password)), role: valid.role, unitID: valid.unitID)
        try await app.db.writeTransaction { db in
            try await user.create(on: db)
            try await AuditLog.record(
                on: db, req: nil, actor: nil, action: "create", entityType: "user", entityID: user.id,
                before: noSnapshot, after: try UserDTO(user))
            if !regionIDs.isEmpty {
                try await RegionScopes.bind(try user.requireID(), to: regionIDs, on: db)
                try await AuditLog.record(
                    on: db, req: nil, actor: nil, action: "bind_regions", entityType: "user", entityID: user.id,
                    before: UserService.RegionBinding(regionIDs: []),
                    after: UserService.RegionBinding(regionIDs: regionIDs.map(\.uuidString).sorted()))
            }
        }
    }

    /// Sets a new password and clears any lockout.
    public static func resetPassword(app: Application, username: String, password: String) async throws {
        guard let user = try await User.query(on: app.db).filter(\.$username == username.lowercased()).first() else {
            throw Failure(description: "用户 \(username) 不存在（--username）")
        }
        let problems = PasswordPolicy.problems(password: password, username: user.username)
        if !problems.isEmpty { throw Failure(description: "密码不符合要求：" + problems.joined(separator: "；")) }
        let userID = try user.requireID()
        user.passwordHash = try await app.password.async.hash(PasswordPolicy.normalized(password))
        user.lockState = LoginLockout.afterSuccess()
        try await app.db.writeTransaction { db in
            try await user.save(on: db)
            try await APIToken.query(on: db).filter(\.$user.$id == userID).delete()
            try await AuditLog.record(
                on: db, req: nil, actor: nil, action: "update_password", entityType: "user", entityID: user.id,
                before: noSnapshot, after: noSnapshot)
        }
    }

    /// SQLite: a consistent online copy via `VACUUM INTO`. PostgreSQL: pg_dump is the right tool.
    /// Copies the evidence files (content-addressed, never changed once written) that `target` lacks; returns how many.
    /// Run after the database copy: a file is stored before any row refers to it, so every file the copied
    /// database names is already on disk.
    public static func backupEvidence(app: Application, to target: String) throws -> Int {
        let fm = FileManager.default
        let source = app.settings.evidenceDirectory
        guard let walker = fm.enumerator(atPath: source) else { return 0 }
        var copied = 0
        while let relative = walker.nextObject() as? String {
            let from = (source as NSString).appendingPathComponent(relative)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: from, isDirectory: &isDir), !isDir.boolValue, !relative.hasPrefix("tmp") else { continue }
            let to = (target as NSString).appendingPathComponent(relative)
            if fm.fileExists(atPath: to) { continue }
            try fm.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: from, toPath: to)
            copied += 1
        }
        return copied
    }

    public static func backup(app: Application, to path: String) async throws {
        guard case .sqlite = app.settings.database else {
            throw Failure(
                description: "当前使用 PostgreSQL：请使用 pg_dump 备份，例如 pg_dump \"$DATABASE_URL\" -Fc -f yingshang.dump\n"
                    + "PostgreSQL is in use: back up with pg_dump, e.g. pg_dump \"$DATABASE_URL\" -Fc -f yingshang.dump")
        }
        if FileManager.default.fileExists(atPath: path) {
            throw Failure(description: "目标文件已存在，不会覆盖：\(path)")
        }
        guard let sql = app.db as? any SQLDatabase else { throw Failure(description: "数据库不支持 SQL") }
        try await sql.raw("VACUUM INTO \(bind: path)").run()
    }

    public static func migrate(app: Application, revert: Bool) async throws {
        if revert { try await app.autoRevert() } else { try await app.autoMigrate() }
    }
}
