import Fluent
import Vapor
import YingshangCore

/// `/api/v1/regions`, `/api/v1/units`, `/api/v1/users`: list with search and pagination, CRUD for admin.
struct OrganizationAPIController {
    func register(_ g: Guarded) {
        g.get("regions", action: .viewRegions, use: listRegions)
        g.post("regions", action: .manageRegions, use: createRegion)
        g.get("regions", ":id", action: .viewRegions, use: showRegion)
        g.put("regions", ":id", action: .manageRegions, use: updateRegion)
        g.delete("regions", ":id", action: .manageRegions, use: deleteRegion)

        g.get("units", action: .viewUnits, use: listUnits)
        g.post("units", action: .manageUnits, use: createUnit)
        g.get("units", ":id", action: .viewUnits, use: showUnit)
        g.put("units", ":id", action: .manageUnits, use: updateUnit)
        g.delete("units", ":id", action: .manageUnits, use: deleteUnit)

        g.get("users", action: .viewUsers, use: listUsers)
        g.post("users", action: .manageUsers, use: createUser)
        g.get("users", ":id", action: .viewUsers, use: showUser)
        g.put("users", ":id", action: .manageUsers, use: updateUser)
        g.delete("users", ":id", action: .manageUsers, use: deleteUser)
    }

    @Sendable func listRegions(req: Request) async throws -> Listing<RegionDTO> {
        let lq = ListQuery(req)
        let page = try await RegionService.search(lq, on: req.db)
        return Listing(items: try page.items.map(RegionDTO.init), page: lq.page, per: lq.per, total: page.metadata.total)
    }

    @Sendable func createRegion(req: Request) async throws -> Response {
        let region = try await RegionService.create(try req.content.decode(RegionInput.self), by: req.caller())
        return try await RegionDTO(region).encodeResponse(status: .created, for: req)
    }

    @Sendable func showRegion(req: Request) async throws -> RegionDTO {
        try RegionDTO(try await req.loadRegion())
    }

    @Sendable func updateRegion(req: Request) async throws -> RegionDTO {
        let region = try await req.loadRegion()
        try await RegionService.update(region, try req.content.decode(RegionInput.self), by: req.caller())
        return try RegionDTO(region)
    }

    @Sendable func deleteRegion(req: Request) async throws -> HTTPStatus {
        try await RegionService.delete(try await req.loadRegion(), by: req.caller())
        return .noContent
    }

    @Sendable func listUnits(req: Request) async throws -> Listing<UnitDTO> {
        let lq = ListQuery(req)
        let page = try await UnitService.search(lq, by: req.caller())
        return Listing(items: try page.items.map(UnitDTO.init), page: lq.page, per: lq.per, total: page.metadata.total)
    }

    @Sendable func createUnit(req: Request) async throws -> Response {
        let unit = try await UnitService.create(try req.content.decode(UnitInput.self), by: req.caller())
        return try await UnitDTO(unit).encodeResponse(status: .created, for: req)
    }

    @Sendable func showUnit(req: Request) async throws -> UnitDTO {
        try UnitDTO(try await req.loadUnit())
    }

    @Sendable func updateUnit(req: Request) async throws -> UnitDTO {
        let unit = try await req.loadUnit()
        try await UnitService.update(unit, try req.content.decode(UnitInput.self), by: req.caller())
        return try UnitDTO(unit)
    }

    @Sendable func deleteUnit(req: Request) async throws -> HTTPStatus {
        try await UnitService.delete(try await req.loadUnit(), by: req.caller())
        return .noContent
    }

    @Sendable func listUsers(req: Request) async throws -> Listing<UserDTO> {
        let lq = ListQuery(req)
        let page = try await UserService.search(lq, by: req.caller())
        return Listing(items: try page.items.map(UserDTO.init), page: lq.page, per: lq.per, total: page.metadata.total)
    }

    @Sendable func createUser(req: Request) async throws -> Response {
        let user = try await UserService.create(try req.content.decode(UserInput.self), by: req.caller())
        return try await UserDTO(user).encodeResponse(status: .created, for: req)
    }

    @Sendable func showUser(req: Request) async throws -> UserDTO {
        try UserDTO(try await req.loadUser())
    }

    @Sendable func updateUser(req: Request) async throws -> UserDTO {
        let user = try await req.loadManageableUser()
        try await UserService.update(user, try req.content.decode(UserInput.self), by: req.caller())
        return try UserDTO(user)
    }

    @Sendable func deleteUser(req: Request) async throws -> HTTPStatus {
        try await UserService.delete(try await req.loadManageableUser(), by: req.caller())
        return .noContent
    }
}
