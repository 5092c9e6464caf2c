import Crypto
import Fluent
import NIOCore
import NIOPosix
import Vapor
import YingshangCore

/// Evidence upload: the request body is streamed to a temporary file while it is hashed and size-checked, then
/// moved to `evidence/ab/<sha256>`; the same content is stored once. Nothing is kept when a check fails.
enum EvidenceStore {
    static func path(for sha: String, config: AppConfig) -> String {
        "\(config.evidenceDirectory)/\(sha.prefix(2))/\(sha)"
    }

    struct Upload {
        let sha256: String
        let size: Int
        let kind: EvidenceCheck.Kind
    }

    /// Streams `req.body` to disk. Throws 413 past the limit and 422 for a disguised or unknown file.
    static func receive(_ req: Request, ext: String) async throws -> Upload {
        let config = req.application.settings
        if let declared = req.headers.first(name: .contentLength).flatMap(Int.init), declared > config.uploadLimitBytes {
            throw AppError(status: .payloadTooLarge, code: "too_large", message: EvidenceCheck.Problem.tooLarge(limitMB: config.uploadLimitBytes >> 20).message)
        }
        let tmpDir = "\(config.evidenceDirectory)/tmp"
        try FileManager.default.createDirectory(atPath: tmpDir, withIntermediateDirectories: true)
        let tmp = "\(tmpDir)/\(UUID().uuidString)"
        let io = req.application.fileio
        let handle = try await io.openFile(
            path: tmp, mode: .write, flags: .allowFileCreation(posixMode: 0o640), eventLoop: req.eventLoop
        ).get()
        var hasher = SHA256()
        var size = 0
        var head: [UInt8] = []
        var kind: EvidenceCheck.Kind? = nil
        // A file refused by its content is still read to its end (and dropped), so the refusal reaches the page
        // with its reason and the connection stays usable; a body left unread stalled the browser's next request.
        var refusal: (any Error)? = nil
        do {
            for try await chunk in req.body {
                size += chunk.readableBytes
                if size > config.uploadLimitBytes {
                    throw AppError(
                        status: .payloadTooLarge, code: "too_large",
                        message: EvidenceCheck.Problem.tooLarge(limitMB: config.uploadLimitBytes >> 20).message)
                }
                if refusal != nil { continue }
                if kind == nil {
                    head += chunk.getBytes(at: chunk.readerIndex, length: min(16 - head.count, chunk.readableBytes)) ?? []
                    if head.count >= 16 {
                        do { kind = try check(head, ext: ext) } catch {
                            refusal = error
                            continue
                        }
                    }
                }
                hasher.update(data: chunk.readableBytesView)
                try await io.write(fileHandle: handle, buffer: chunk, eventLoop: req.eventLoop).get()
            }
            if let refusal { throw refusal }
            if kind == nil { kind = try check(head, ext: ext) }
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
        let sha = hasher.finalize().hex
        let target = path(for: sha, config: config)
        if FileManager.default.fileExists(atPath: target) {
            try? FileManager.default.removeItem(atPath: tmp)
        } else {
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            do {
                try FileManager.default.moveItem(atPath: tmp, toPath: target)
            } catch {
                // Another instance stored the same content meanwhile.
                try? FileManager.default.removeItem(atPath: tmp)
                if !FileManager.default.fileExists(atPath: target) { throw error }
            }
        }
        guard let kind else { throw AppError.invalid(["file": EvidenceCheck.Problem.empty.message]) }
        return Upload(sha256: sha, size: size, kind: kind)
    }

    private static func check(_ head: [UInt8], ext: String) throws -> EvidenceCheck.Kind {
        switch EvidenceCheck.checkContent(head: head, ext: ext) {
        case .success(let k): return k
        case .failure(let p): throw AppError.invalid(["file": p.message])
        }
    }

    /// The `?name=` of an upload, checked (path, control characters, allowed extension) before any byte is read.
    static func checkedName(_ req: Request) throws -> (name: String, ext: String) {
        switch EvidenceCheck.checkName(req.query[String.self, at: "name"] ?? "") {
        case .success(let c): return c
        case .failure(let p): throw AppError.invalid(["name": p.message])
        }
    }

    /// `receive` behind the upload gate.
    static func receiveGated(_ req: Request, ext: String) async throws -> Upload {
        try await UploadGate.shared.run { try await receive(req, ext: ext) }
    }

    /// Streams a stored file under its given name; images and PDF open in the browser unless `?download`.
    static func stream(sha256: String, name: String, kind: String, req: Request) async throws -> Response {
        let file = path(for: sha256, config: req.application.settings)
        guard FileManager.default.fileExists(atPath: file) else { throw AppError.notFound("文件") }
        let res = try await req.fileio.asyncStreamFile(at: file)
        let kind = EvidenceCheck.Kind(rawValue: kind)
        res.headers.replaceOrAdd(name: .contentType, value: kind?.mimeType ?? "application/octet-stream")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file"
        let disposition = (kind?.isPreviewable == true && req.query[String.self, at: "download"] == nil) ? "inline" : "attachment"
        res.headers.replaceOrAdd(name: .contentDisposition, value: "\(disposition); filename*=UTF-8''\(encoded)")
        res.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return res
    }

    /// Receives the one file a record may carry (policy, practice, visit, flag response, progress report): streamed,
    /// content-checked and stored by hash, then the record is saved with an audit entry under `entity`/`auditID`
    /// (a progress report is audited on its rectification).
    static func attachSingle(
        _ req: Request, to record: some SingleFileRecord, entity: String, auditID: UUID?
    ) async throws -> Response {
        // A replaced file is named in the audit entry, so the trail shows what was there before.
        let before: [String: String]? = record.fileName.map { ["file": $0, "sha256": record.fileSHA256 ?? ""] }
        let checked = try checkedName(req)
        let file = try await receiveGated(req, ext: checked.ext)
        record.fileName = checked.name
        record.fileSHA256 = file.sha256
        record.fileKind = file.kind.rawValue
        let user = try req.currentUser()
        try await req.db.writeTransaction { db in
            try await record.update(on: db)
            try await AuditLog.record(
                on: db, req: req, actor: user, action: "attach", entityType: entity, entityID: auditID, before: before,
                after: ["file": checked.name, "sha256": file.sha256])
        }
        return try await ["name": checked.name, "sha256": file.sha256].encodeResponse(status: .created, for: req)
    }

    /// Streams a record's single optional file, 404 when it has none.
    static func streamAttached(_ record: some SingleFileRecord, req: Request) async throws -> Response {
        guard let sha256 = record.fileSHA256, let name = record.fileName else { throw AppError.notFound("附件") }
        return try await stream(sha256: sha256, name: name, kind: record.fileKind ?? "", req: req)
    }

    /// Stores the upload as an attachment of `filing` (draft only, lead unit only).
    static func attach(_ f: Filing, req: Request) async throws -> FilingAttachment {
        try FilingService.requireEdit(f, by: req.caller())
        let user = try req.currentUser()
        let checked = try checkedName(req)
        var itemCode: String? = nil
        if let item = req.query[String.self, at: "item"], !item.isEmpty {
            let ind = try await FilingService.indicator(f, on: req.db)
            guard ind.questionnaire.contains(where: { $0.code == item }) else {
                throw AppError.invalid(["item": "问卷中没有题目 \(item)"])
            }
            itemCode = item
        }
        var issuedOn: Day? = nil
        if let raw = req.query[String.self, at: "issued"], !raw.isEmpty {
            guard let d = Day(raw), d <= req.clock.today else {
                throw AppError.invalid(["issued": "印发日期格式应为 YYYY-MM-DD，且不能晚于今天"])
            }
            issuedOn = d
        }
        let upload = try await receiveGated(req, ext: checked.ext)
        let item = itemCode
        let issued = issuedOn
        let filingID = try f.requireID()
        let attachment = try await req.db.writeTransaction { db -> FilingAttachment in
            let blob: EvidenceBlob
            if let existing = try await EvidenceBlob.query(on: db).filter(\.$sha256 == upload.sha256).first() {
                blob = existing
            } else {
                blob = EvidenceBlob(sha256: upload.sha256, size: upload.size, kind: upload.kind)
                try await blob.create(on: db)
            }
            let a = FilingAttachment(filingID: filingID, itemCode: item, blob: blob, name: checked.name, by: user.username)
            a.issuedOn = issued?.description
            try await a.create(on: db)
            try await AuditLog.record(
                on: db, req: req, actor: user, action: "attach", entityType: "filing", entityID: filingID, before: noSnapshot,
                after: ["name": checked.name, "sha256": upload.sha256, "item": item ?? "", "size": String(upload.size), "issued": issued?.description ?? ""])
            return a
        }
        return attachment
    }

    static func download(_ a: FilingAttachment, req: Request) async throws -> Response {
        try await stream(sha256: a.sha256, name: a.name, kind: a.kind, req: req)
    }
}

/// A record that carries at most one evidence file (policy, practice, field visit, flag response, progress report).
protocol SingleFileRecord: Model, Sendable {
    var fileName: String? { get set }
    var fileSHA256: String? { get set }
    var fileKind: String? { get set }
}

extension BestPractice: SingleFileRecord {}
extension Policy: SingleFileRecord {}
extension FieldVisit: SingleFileRecord {}
extension RectificationUpdate: SingleFileRecord {}

/// The flag's file is the unit's response.
extension VerificationFlag: SingleFileRecord {
    var fileName: String? {
        get { responseFileName }
        set { responseFileName = newValue }
    }
    var fileSHA256: String? {
        get { responseFileSHA256 }
        set { responseFileSHA256 = newValue }
    }
    var fileKind: String? {
        get { responseFileKind }
        set { responseFileKind = newValue }
    }
}
