import Fluent
import Vapor
import YingshangCore

/// `/api/v1/catalog`: the current indicator system as JSON; PUT replaces it (versioned when in use).
struct CatalogAPIController {
    struct VersionDTO: Content {
        let number: Int
        let note: String
        let inUse: Bool
        let catalog: Catalog
    }

    struct VersionSummary: Content {
        let number: Int
        let note: String
        let createdBy: String
        let inUse: Bool
    }

    func register(_ g: Guarded) {
        g.get("catalog", action: .viewCatalog, use: current)
        g.put("catalog", action: .manageCatalog, maxBody: 10 << 20, use: replace)
        g.get("catalog", "versions", action: .viewCatalog, use: versions)
    }

    @Sendable func current(req: Request) async throws -> VersionDTO {
        let (v, catalog) = try await CatalogService.requireCurrent(on: req.db)
        return VersionDTO(number: v.number, note: v.note, inUse: try await CatalogService.isUsed(v, on: req.db), catalog: catalog)
    }

    @Sendable func replace(req: Request) async throws -> VersionDTO {
        let catalog = try req.content.decode(Catalog.self)
        let (v, _) = try await CatalogService.save(
            catalog, note: "API 更新", by: req.caller(), clock: req.clock, on: req.db)
        return VersionDTO(number: v.number, note: v.note, inUse: false, catalog: try v.catalog())
    }

    @Sendable func versions(req: Request) async throws -> [VersionSummary] {
        let used = Set(try await Campaign.query(on: req.db).all().map { $0.$catalogVersion.id })
        return try await CatalogVersion.query(on: req.db).sort(\.$number, .descending).all().map {
            VersionSummary(number: $0.number, note: $0.note, createdBy: $0.createdBy, inUse: $0.id.map(used.contains) ?? false)
        }
    }
}
