import Fluent
import SQLKit
import Vapor
import YingshangCore
import YingshangOffice

/// Runs register imports off the request and records the outcome on the job row.
enum RegisterJobs {
    static func run(
        app: Application, jobID: UUID, campaignID: UUID, source: RegisterImporter.Source, filename: String, skipInvalid: Bool
    ) async {
        let db = app.db
        // Renews the job's lease while it runs; stops with the job.
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(JobLease.renewEvery * 1_000_000_000))
                if Task.isCancelled { break }
                _ = try? await db.writeTransaction { tx in
                    try await tx.sql().update(ImportJob.schema).set("lease_until", to: SQLBind(JobLease.expiry(from: Date())))
                        .where("id", .equal, SQLBind(jobID)).where("status", .equal, SQLBind("running")).run()
                }
            }
        }
        // Writes the progress to the job row twice a second, for the other instances' progress pages.
        let progressWriter = Task {
            var last: (Int, Int)? = nil
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 500_000_000)
                guard !Task.isCancelled, let p = RegisterImporter.Progress.shared.get(jobID), last.map({ $0 != (p.done, p.total) }) ?? true else { continue }
                last = (p.done, p.total)
                _ = try? await db.writeTransaction { tx in
                    try await tx.sql().update(ImportJob.schema).set("progress_done", to: SQLBind(p.done)).set("progress_total", to: SQLBind(p.total))
                        .where("id", .equal, SQLBind(jobID)).where("status", .equal, SQLBind("running")).run()
                }
            }
        }
        defer {
            heartbeat.cancel()
            progressWriter.cancel()
        }
        do {
            var actor: User? = nil
            if let job = try await ImportJob.find(jobID, on: db) {
                actor = try await User.query(on: db).filter(\.$username == job.createdBy).first()
            }
            let outcome = try await RegisterImporter.run(
                campaignID: campaignID, source: source, filename: filename, skipInvalid: skipInvalid, db: db, actor: actor,
                progress: { done, total in RegisterImporter.Progress.shared.set(jobID, done: done, total: total) })
            guard let job = try await ImportJob.find(jobID, on: db) else { return }
            job.status = outcome.stored ? "done" : "failed"
            job.imported = outcome.imported
            job.message = outcome.summary
            job.problemsJSON = String(decoding: (try? JSONEncoder().encode(outcome.problems)) ?? Data("[]".utf8), as: UTF8.self)
            try await job.update(on: db)
        } catch {
            if let job = try? await ImportJob.find(jobID, on: db) {
                job.status = "failed"
                job.message = (error as? AppError)?.fields?.values.first ?? "导入失败：\(error)"
                try? await job.update(on: db)
            }
        }
    }
}

/// Register files uploaded by the page's script, streamed to `data/tmp` while their size is checked.
enum RegisterUploads {
    /// At start-up: what a server stopped mid-import left behind. Uploads older than a day are removed and import
    /// jobs still "running" after an hour are marked failed, so their pages stop waiting (a million rows take
    /// seconds; other instances' imports are never that old).
    static func sweep(app: Application, now: Date = Date()) async throws -> (files: Int, jobs: Int) {
        let dir = (app.settings.dataDirectory as NSString).appendingPathComponent("tmp")
        var files = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix("register-") {
            let path = (dir as NSString).appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? now
            if now.timeIntervalSince(modified) > 86_400, (try? FileManager.default.removeItem(atPath: path)) != nil { files += 1 }
        }
        return (files, try await closeAbandonedJobs(on: app.db, now: now))
    }

    /// Closes running jobs whose lease expired (their instance stopped): failed, with what happened and how to
    /// retry, and their uploaded file removed. The update is conditional, so two instances never both close one.
    @discardableResult
    static func closeAbandonedJobs(on db: any Database, now: Date = Date(), only: UUID? = nil) async throws -> Int {
        var query = ImportJob.query(on: db).filter(\.$status == "running")
        if let only { query = query.filter(\.$id == only) }
        var closed = 0
        for job in try await query.all() where JobLease.isAbandoned(leaseUntil: job.leaseUntil, createdAt: job.createdAt, now: now) {
            let id = try job.requireID()
            let legacy = job.leaseUntil == nil
            let rows = try await db.writeTransaction { tx in
                var update = try tx.sql().update(ImportJob.schema).set("status", to: SQLBind("failed"))
                    .set("message", to: SQLBind(JobLease.abandonedMessage)).where("id", .equal, SQLBind(id))
                    .where("status", .equal, SQLBind("running"))
                // Still expired at the moment of the update (a renewal in between keeps the job alive).
                update = legacy
                    ? update.where("lease_until", .is, SQLLiteral.null) : update.where("lease_until", .lessThan, SQLBind(now))
                return try await update.returning("id").all().count
            }
            guard rows > 0 else { continue }
            closed += 1
            if let path = job.uploadPath { try? FileManager.default.removeItem(atPath: path) }
        }
        return closed
    }

    /// Runs `closeAbandonedJobs` every half minute while the server runs, once across all instances.
    static func startJobSweeper(app: Application) -> Task<Void, Never> {
        let logger = app.logger
        return ScheduledWork.every(30, name: "import-job-sweep", app: app) { db, now in
            let n = try await closeAbandonedJobs(on: db, now: now)
            if n > 0 { logger.notice("closed \(n) abandoned import jobs") }
        }
    }

    /// Five times the 126 MB of a synthetic million-row register.
    static let limitBytes = 640 << 20

    static func receive(_ req: Request, limit: Int = limitBytes) async throws -> String {
        let tooLarge = AppError(status: .payloadTooLarge, code: "too_large", message: "文件超过 \(limit >> 20) MB，请拆分后导入")
        if let declared = req.headers.first(name: .contentLength).flatMap(Int.init), declared > limit { throw tooLarge }
        let dir = (req.application.settings.dataDirectory as NSString).appendingPathComponent("tmp")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/register-\(UUID().uuidString)"
        let io = req.application.fileio
        let handle = try await io.openFile(path: path, mode: .write, flags: .allowFileCreation(posixMode: 0o600), eventLoop: req.eventLoop).get()
        var size = 0
        do {
            for try await chunk in req.body {
                size += chunk.readableBytes
                if size > limit { throw tooLarge }
                try await io.write(fileHandle: handle, buffer: chunk, eventLoop: req.eventLoop).get()
            }
            try handle.close()
            if size == 0 { throw AppError.invalid(["file": "文件为空"]) }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return path
    }
}
