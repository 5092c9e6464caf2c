import Fluent
import Vapor
import YingshangCore

/// Loading, validating and versioning the indicator catalog.
enum CatalogService {
    static func current(on db: any Database) async throws -> CatalogVersion? {
        try await CatalogVersion.query(on: db).sort(\.$number, .descending).first()
    }

    static func version(_ number: Int, on db: any Database) async throws -> CatalogVersion? {
        try await CatalogVersion.query(on: db).filter(\.$number == number).first()
    }

    static func isUsed(_ version: CatalogVersion, on db: any Database) async throws -> Bool {
        guard let id = version.id else { return false }
        return try await Campaign.query(on: db).filter(\.$catalogVersion.$id == id).count() > 0
    }

    /// The current catalog, or a 404 telling the coordinator how to create one.
    static func requireCurrent(on db: any Database) async throws -> (CatalogVersion, Catalog) {
        guard let v = try await current(on: db) else {
            throw AppError(status: .notFound, code: "no_catalog", message: "尚未建立指标体系，请先载入国家指标体系或导入指标文件")
        }
        return (v, try v.catalog())
    }

    /// Validates and stores `catalog`. The current version is updated in place unless a campaign uses it, in which
    /// case a new version is created (campaigns stay bound to theirs). Returns the stored version and whether it is new.
    @discardableResult
    static func save(_ catalog: Catalog, note: String, by caller: Caller?, clock: AppClock, on db: any Database) async throws
        -> (CatalogVersion, Bool)
    {
        let problems = CatalogValidation.validate(catalog)
        guard problems.isEmpty else { throw AppError.invalid(problems) }
        return try await db.writeTransaction { db in
            let current = try await current(on: db)
            if let current, try current.catalog() == catalog { return (current, false) }
            let snapshot = CatalogAuditSnapshot(number: 0, note: note, indicators: catalog.indicators.map(\.code))
            if let current, !(try await isUsed(current, on: db)) {
                let before = CatalogAuditSnapshot(
                    number: current.number, note: current.note, indicators: try current.catalog().indicators.map(\.code))
                current.content = try CatalogVersion.encode(catalog)
                current.note = note
                try await current.update(on: db)
                try await AuditLog.record(
                    on: db, by: caller, clock: clock, action: "update", entityType: "catalog", entityID: current.id,
                    before: before,
                    after: CatalogAuditSnapshot(number: current.number, note: note, indicators: snapshot.indicators))
                return (current, false)
            }
            let version = try CatalogVersion(
                number: (current?.number ?? 0) + 1, note: note, catalog: catalog, createdBy: caller?.user.username ?? "system")
            try await version.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, clock: clock, action: "create", entityType: "catalog", entityID: version.id,
                before: noSnapshot,
                after: CatalogAuditSnapshot(number: version.number, note: note, indicators: snapshot.indicators))
            return (version, true)
        }
    }

    /// Adds the B-READY-style template's ten topics (codes `br_…`) beside the current indicators; topics already
    /// present are left as the county edited them. A no-op when all are there.
    static func addBReady(by caller: Caller?, clock: AppClock, on db: any Database) async throws -> (CatalogVersion, Bool) {
        var catalog = try await current(on: db).map { try $0.catalog() } ?? Catalog(indicators: [])
        let have = Set(catalog.indicators.map(\.code))
        catalog.indicators += BReadyCatalog.indicators.filter { !have.contains($0.code) }
        return try await save(catalog, note: "加入 B-READY 式模板（10 个主题，三支柱）", by: caller, clock: clock, on: db)
    }

    /// Loads the 18 national indicators (a no-op when the current version already equals them).
    static func loadNational(by caller: Caller?, clock: AppClock, on db: any Database) async throws -> (CatalogVersion, Bool) {
        try await save(NationalCatalog.catalog, note: "国家营商环境评价指标体系（18 项）", by: caller, clock: clock, on: db)
    }
}
