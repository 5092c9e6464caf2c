import Fluent
import SQLKit

struct CreateCampaignTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Campaign.schema)
            .id()
            .field("name", .string, .required)
            .field("year", .int, .required)
            .field("catalog_version_id", .uuid, .required, .references(CatalogVersion.schema, "id"))
            .field("start_date", .string, .required)
            .field("end_date", .string, .required)
            .field("status", .string, .required)
            .field("per_day", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.schema(CampaignRegion.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .unique(on: "campaign_id", "region_id")
            .create()
        try await db.schema(CampaignIndicator.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("position", .int, .required)
            .unique(on: "campaign_id", "code")
            .create()
        try await db.schema(CampaignPhase.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("start_date", .string, .required)
            .field("end_date", .string, .required)
            .unique(on: "campaign_id", "kind")
            .create()
        try await db.schema(CampaignTask.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("phase", .string, .required)
            .field("region_id", .uuid, .references(Region.schema, "id"))
            .field("indicator_code", .string)
            .field("title", .string, .required)
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("deadline", .string, .required)
            .field("status", .string, .required)
            .field("note", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.schema(Assignment.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("lead_unit_id", .uuid, .references(Unit.schema, "id"))
            .field("leader_user_id", .uuid, .references(User.schema, "id"))
            .field("lead_confirmed_at", .datetime)
            .field("lead_confirmed_by", .string)
            .unique(on: "campaign_id", "region_id", "indicator_code")
            .create()
        try await db.schema(AssignmentCooperator.schema)
            .id()
            .field("assignment_id", .uuid, .required, .references(Assignment.schema, "id", onDelete: .cascade))
            .field("unit_id", .uuid, .required, .references(Unit.schema, "id"))
            .field("confirmed_at", .datetime)
            .field("confirmed_by", .string)
            .unique(on: "assignment_id", "unit_id")
            .create()
        try await db.schema(AssignmentMember.schema)
            .id()
            .field("assignment_id", .uuid, .required, .references(Assignment.schema, "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("team_role", .string, .required)
            .unique(on: "assignment_id", "user_id")
            .create()
        try await db.schema(ScheduleEntry.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("region_id", .uuid, .required, .references(Region.schema, "id"))
            .field("indicator_code", .string, .required)
            .field("day", .string, .required)
            .field("fixed", .bool, .required)
            .unique(on: "campaign_id", "region_id", "indicator_code")
            .create()
        try await db.schema(CalendarDay.schema)
            .id()
            .field("day", .string, .required)
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .unique(on: "day")
            .create()
    }

    func revert(on db: any Database) async throws {
        for schema in [
            CalendarDay.schema, ScheduleEntry.schema, AssignmentMember.schema, AssignmentCooperator.schema,
            Assignment.schema, CampaignTask.schema, CampaignPhase.schema, CampaignIndicator.schema,
            CampaignRegion.schema, Campaign.schema,
        ] {
            try await db.schema(schema).delete()
        }
    }
}

/// Dispatch reads tasks by campaign and indicator and assignments by campaign every few seconds.
struct AddCampaignIndexes: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("CREATE INDEX IF NOT EXISTS campaign_tasks_campaign_idx ON campaign_tasks (campaign_id, indicator_code)").run()
        try await sql.raw("CREATE INDEX IF NOT EXISTS campaign_tasks_unit_idx ON campaign_tasks (unit_id)").run()
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DROP INDEX IF EXISTS campaign_tasks_campaign_idx").run()
        try await sql.raw("DROP INDEX IF EXISTS campaign_tasks_unit_idx").run()
    }
}
