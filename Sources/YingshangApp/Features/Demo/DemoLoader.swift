import Fluent
import Vapor
import YingshangCore

/// Loads the demo county idempotently: existing rows (matched by code or username) are left as they are.
public enum DemoLoader {
    public struct Login: Sendable {
        public let username: String
        public let roleName: String
        public let unitName: String
        /// Nil when the account already existed and its password was left unchanged.
        public let password: String?
    }

    public struct Result: Sendable {
        public let created: Int
        public let logins: [Login]
    }

    /// With `password`, every demo user ends up with it; without, new users get a generated one.
    /// `scoringData` adds accepted filings, benchmarks and the 8-county city campaign (the CLI demo does; tests opt in).
    public static func load(app: Application, password: String?, registerSize: Int = 600, scoringData: Bool = false) async throws -> Result {
        if let password {
            let problems = PasswordPolicy.problems(password: password, username: nil)
            if !problems.isEmpty { throw AppError.invalid(["password": problems.joined(separator: "；")]) }
        }
        let generated = password ?? PasswordGenerator.make()
        let base = try await app.db.writeTransaction { db -> Result in
            var created = 0
            var logins: [Login] = []
            let county: Region
            if let existing = try await Region.query(on: db).filter(\.$code == DemoCounty.countyCode).first() {
                county = existing
            } else {
                county = Region(code: DemoCounty.countyCode, name: DemoCounty.countyName, level: .county, parentID: nil)
                try await create(county, type: "region", on: db)
                created += 1
            }
            for (code, name) in DemoCounty.townships
            where try await Region.query(on: db).filter(\.$code == code).first() == nil {
                try await create(Region(code: code, name: name, level: .township, parentID: county.id), type: "region", on: db)
                created += 1
            }
            var unitsByCode: [String: Unit] = [:]
            for spec in DemoCounty.units {
                if let existing = try await Unit.query(on: db).filter(\.$code == spec.code).first() {
                    unitsByCode[spec.code] = existing
                } else {
                    let unit = Unit(code: spec.code, name: spec.name, type: spec.type, regionID: county.id)
                    try await create(unit, type: "unit", on: db)
                    unitsByCode[spec.code] = unit
                    created += 1
                }
            }
            for spec in DemoCounty.users {
                guard let unit = unitsByCode[spec.unitCode], let unitID = unit.id else { continue }
                if let existing = try await User.query(on: db).filter(\.$username == spec.username).first() {
                    var shown: String? = nil
                    if let password {
                        if !(try await app.password.async.verify(PasswordPolicy.normalized(password), created: existing.passwordHash)) {
                            existing.passwordHash = try await app.password.async.hash(PasswordPolicy.normalized(password))
                            existing.lockState = LoginLockout.afterSuccess()
                            try await existing.save(on: db)
                        }
                        shown = password
                    }
                    logins.append(Login(username: spec.username, roleName: spec.role.chineseName, unitName: unit.name, password: shown))
                    continue
                }
                let user = User(
                    username: spec.username, displayName: spec.displayName,
                    passwordHash: try await app.password.async.hash(PasswordPolicy.normalized(generated)), role: spec.role, unitID: unitID)
                try await user.create(on: db)
                try await AuditLog.record(
                    on: db, req: nil, actor: nil, action: "create", entityType: "user", entityID: user.id,
                    before: noSnapshot, after: try UserDTO(user))
                created += 1
                logins.append(Login(username: spec.username, roleName: spec.role.chineseName, unitName: unit.name, password: generated))
            }
            return Result(created: created, logins: logins)
        }
        var campaign = try await DemoCampaign.load(app: app, registerSize: registerSize)
        var logins = base.logins
        if scoringData {
            campaign += try await DemoScoring.load(app: app)
            campaign += try await DemoRounds.load(app: app)
            campaign += try await DemoBReady.load(app: app)
            logins += try await regionLogins(app: app, password: password ?? generated)
        }
        return Result(created: base.created + campaign, logins: logins)
    }

    /// Region-bound coordinators for the city campaign (issue 21): the city's office sees all eight counties, 东湖县's
    /// office only its own row, rank and filings. 青山县 is placed under 青山市 so that the city's scope reaches it.
    static let regionUsers: [(username: String, displayName: String, unitCode: String, unitName: String, regionCode: String)] = [
        ("qscity", "周协调（青山市营商办）", "QSSYSB", "青山市营商环境建设办公室", DemoScoring.cityCode),
        ("donghu", "孙协调（东湖县营商办）", "DHXYSB", "东湖县营商环境建设办公室", "370791"),
    ]

    static func regionLogins(app: Application, password: String) async throws -> [Login] {
        try await app.db.writeTransaction { db in
            guard let city = try await Region.query(on: db).filter(\.$code == DemoScoring.cityCode).first() else { return [] }
            if let home = try await Region.query(on: db).filter(\.$code == DemoCounty.countyCode).first(), home.$parent.id == nil {
                home.$parent.id = city.id
                try await home.update(on: db)
            }
            var logins: [Login] = []
            for spec in regionUsers {
                guard let region = try await Region.query(on: db).filter(\.$code == spec.regionCode).first(), let rid = region.id else { continue }
                let unit: Unit
                if let existing = try await Unit.query(on: db).filter(\.$code == spec.unitCode).first() {
                    unit = existing
                } else {
                    unit = Unit(code: spec.unitCode, name: spec.unitName, type: .governmentDepartment, regionID: rid)
                    try await create(unit, type: "unit", on: db)
                }
                let hash = try await app.password.async.hash(PasswordPolicy.normalized(password))
                if let existing = try await User.query(on: db).filter(\.$username == spec.username).first() {
                    existing.passwordHash = hash
                    existing.lockState = LoginLockout.afterSuccess()
                    try await existing.save(on: db)
                } else {
                    let user = User(username: spec.username, displayName: spec.displayName, passwordHash: hash, role: .coordinator, unitID: try unit.requireID())
                    try await user.create(on: db)
                    try await AuditLog.record(
                        on: db, req: nil, actor: nil, action: "create", entityType: "user", entityID: user.id,
                        before: noSnapshot, after: try UserDTO(user))
                    try await RegionScopes.bind(try user.requireID(), to: [rid], on: db)
                }
                logins.append(Login(username: spec.username, roleName: Role.coordinator.chineseName + "（\(region.name)）", unitName: unit.name, password: password))
            }
            return logins
        }
    }

    private static func create(_ region: Region, type: String, on db: any Database) async throws {
        try await region.create(on: db)
        try await AuditLog.record(
            on: db, req: nil, actor: nil, action: "create", entityType: type, entityID: region.id, before: noSnapshot,
            after: try RegionDTO(region))
    }

    private static func create(_ unit: Unit, type: String, on db: any Database) async throws {
        try await unit.create(on: db)
        try await AuditLog.record(
            on: db, req: nil, actor: nil, action: "create", entityType: type, entityID: unit.id, before: noSnapshot,
            after: try UnitDTO(unit))
    }
}

/// Readable random passwords that satisfy the policy (letters and digits, no look-alike characters).
public enum PasswordGenerator {
    public static func make(length: Int = 12) -> String {
        let letters = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ")
        let digits = Array("23456789")
        var chars = (0..<(length - 2)).map { _ in letters.randomElement() ?? "a" }
        chars += (0..<2).map { _ in digits.randomElement() ?? "2" }
        return String(chars.shuffled())
    }
}
