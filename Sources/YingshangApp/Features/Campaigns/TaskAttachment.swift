import Fluent
import Vapor
import YingshangCore

/// A file attached to a phase task (a training notice, a meeting record), stored by content like evidence.
final class TaskAttachment: Model, @unchecked Sendable {
    static let schema = "task_attachments"

    @ID(key: .id) var id: UUID?
    @Parent(key: "task_id") var task: CampaignTask
    @Field(key: "sha256") var sha256: String
    @Field(key: "name") var name: String
    @Field(key: "size") var size: Int
    @Field(key: "kind") var kind: String
    @Field(key: "uploaded_by") var uploadedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(taskID: UUID, upload: EvidenceStore.Upload, name: String, by: String) {
        self.$task.id = taskID
        self.sha256 = upload.sha256
        self.name = name
        self.size = upload.size
        self.kind = upload.kind.rawValue
        self.uploadedBy = by
    }
}

struct CreateTaskAttachment: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(TaskAttachment.schema)
            .id()
            .field("task_id", .uuid, .required, .references(CampaignTask.schema, "id", onDelete: .cascade))
            .field("sha256", .string, .required)
            .field("name", .string, .required)
            .field("size", .int, .required)
            .field("kind", .string, .required)
            .field("uploaded_by", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(TaskAttachment.schema).delete()
    }
}

/// `PUT /campaigns/:id/tasks/:taskID/attachments?name=` (raw file body) and downloads.
struct TaskAttachmentController {
    struct AttachmentDTO: Content {
        let id: UUID
        let name: String
        let size: Int
        let sha256: String
    }

    func register(web: Guarded, api: Guarded) {
        web.putStream("campaigns", ":id", "tasks", ":taskID", "attachments", action: .updateTaskStatus, use: upload)
        web.get("campaigns", ":id", "tasks", ":taskID", "attachments", ":attachmentID", action: .viewCampaigns, use: download)
        api.putStream("campaigns", ":id", "tasks", ":taskID", "attachments", action: .updateTaskStatus, use: upload)
    }

    /// The bureau or the task's own unit may attach files.
    @Sendable func upload(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let t = try await req.loadTask(of: c)
        let user = try req.currentUser()
        let checked = try EvidenceStore.checkedName(req)
        let upload = try await EvidenceStore.receiveGated(req, ext: checked.ext)
        let a = TaskAttachment(taskID: try t.requireID(), upload: upload, name: checked.name, by: user.username)
        try await req.db.writeTransaction { db in
            try await a.create(on: db)
            try await AuditLog.record(
                on: db, req: req, actor: user, action: "attach", entityType: "task", entityID: t.id, before: noSnapshot,
                after: ["name": checked.name, "sha256": upload.sha256])
        }
        return try await AttachmentDTO(id: try a.requireID(), name: a.name, size: a.size, sha256: a.sha256)
            .encodeResponse(status: .created, for: req)
    }

    @Sendable func download(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let t = try await req.loadTask(of: c)
        guard let a = try await TaskAttachment.find(try req.uuidParameter("attachmentID"), on: req.db), a.$task.id == t.id else {
            throw AppError.notFound("附件")
        }
        return try await EvidenceStore.stream(sha256: a.sha256, name: a.name, kind: a.kind, req: req)
    }
}
