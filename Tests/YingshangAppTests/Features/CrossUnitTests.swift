import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Unit scope, derived from the route table: every route a unit-scoped role may call and that names a record by id
/// is tried by a user of unit A on a record of unit B. Each such route is either in `owned` (the record belongs to a
/// unit: the answer must be 403 or 404 and nothing may change) or in `shared` (campaign-wide pages whose lists the
/// services filter, the organisation directory, the catalog), with the reason. A new route with an id that is in
/// neither list fails the test until someone decides which it is.
@Suite("Cross-unit access")
struct CrossUnitTests {
    /// Campaign-wide or directory routes: the id names something every unit works in; rows inside are filtered.
    static let shared: [String: String] = [
        "GET /api/v1/campaigns/:id": "the campaign is shared by all its units",
        "GET /api/v1/campaigns/:id/assignments": "the responsibility matrix is public within the campaign",
        "GET /api/v1/campaigns/:id/dispatch": "the daily dispatch board is campaign-wide",
        "GET /api/v1/campaigns/:id/flags": "list filtered to the user's unit by the service",
        "GET /api/v1/campaigns/:id/schedule": "the filing schedule is campaign-wide",
        "GET /api/v1/campaigns/:id/rounds": "the campaign's monitoring rounds, scores only for roles that see scores",
        "GET /campaigns/:id/scores/trend": "scores across rounds are published to the campaign's units",
        "GET /api/v1/campaigns/:id/scores": "scores and ranks are published to the campaign's units",
        "GET /api/v1/campaigns/:id/tasks": "task list; attachments only for the unit's own tasks",
        "GET /api/v1/regions/:id": "organisation directory",
        "GET /api/v1/units/:id": "organisation directory",
        "GET /campaigns/:id": "the campaign is shared by all its units",
        "GET /campaigns/:id/dispatch": "campaign-wide board",
        "GET /campaigns/:id/dispatch.pdf": "campaign-wide board",
        "GET /campaigns/:id/dispatch/print": "campaign-wide board",
        "GET /campaigns/:id/evidence.zip": "only the unit's own filings are packed (visibleFilings)",
        "GET /campaigns/:id/filings.xlsx": "only the unit's own filings are exported",
        "GET /campaigns/:id/flags": "list filtered to the user's unit",
        "GET /campaigns/:id/flags.xlsx": "the same list, filtered to the user's unit",
        "GET /campaigns/:id/matrix": "the responsibility matrix is public within the campaign",
        "GET /campaigns/:id/matrix.xlsx": "the responsibility matrix is public within the campaign",
        "GET /campaigns/:id/matrix/by-unit": "the responsibility matrix is public within the campaign",
        "GET /campaigns/:id/overview": "scores and report are published to the campaign's units",
        "GET /campaigns/:id/report": "scores and report are published to the campaign's units",
        "GET /campaigns/:id/report.pdf": "scores and report are published to the campaign's units",
        "GET /campaigns/:id/report.xlsx": "scores and report are published to the campaign's units",
        "GET /campaigns/:id/schedule": "the filing schedule is campaign-wide",
        "GET /campaigns/:id/schedule.csv": "the filing schedule is campaign-wide",
        "GET /campaigns/:id/schedule.xlsx": "the filing schedule is campaign-wide",
        "GET /campaigns/:id/scores": "scores are published to the campaign's units",
        "GET /campaigns/:id/scores.xlsx": "the same published scores",
        "GET /campaigns/:id/scores/explain": "scores are published to the campaign's units",
        "GET /campaigns/:id/scores/rules": "the rules are published to the campaign's units",
        "GET /campaigns/:id/scores/thresholds": "the warning and advanced values are published with the scores",
        "GET /campaigns/:id/scores/thresholds.xlsx": "the same values as a table",
        "GET /campaigns/:id/scores/units": "unit assessment table is published to the campaign's units",
        "GET /campaigns/:id/scores/units.xlsx": "the same published table",
        "GET /campaigns/:id/scores/values": "benchmarks and verified values behind published scores",
        "GET /campaigns/:id/tasks": "task list; attachments only for the unit's own tasks",
        "POST /campaigns/:id/filings/import": "the import saves only filings the unit leads (checked per sheet)",
        "POST /campaigns/:id/scores/runs/:runID/recompute": "re-computes a published run in memory; changes nothing",
        "GET /catalog/indicators/:code": "the indicator catalog is public to all users",
        "GET /library/policies/:pid": "policies are curated by the bureau for everyone",
        "GET /library/policies/:pid/file": "policies are curated by the bureau for everyone",
    ]

    struct Fixture {
        var params: [String: String] = [:]
        var query = ""
    }

    @Test("every route that takes an id refuses a record of another unit", arguments: TestDatabase.available)
    func crossUnit(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let unitA = try await app.unitID("SCJG")
            // An indicator that another unit leads and unit A does not cooperate on, and its filing.
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            var found: Assignment? = nil
            for a in try await Assignment.query(on: app.db).filter(\.$campaign.$id == cid).with(\.$cooperators).all()
            where a.$leadUnit.id != nil && a.$leadUnit.id != unitA && !a.cooperators.contains(where: { $0.$unit.id == unitA }) {
                found = a
                break
            }
            let assignment = try #require(found)
            let unitB = try #require(assignment.$leadUnit.id)
            let filing: Filing
            if let existing = try await Filing.query(on: app.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == assignment.$region.id)
                .filter(\.$indicatorCode == assignment.indicatorCode).first()
            {
                filing = existing
            } else {
                filing = Filing(campaignID: cid, regionID: assignment.$region.id, indicatorCode: assignment.indicatorCode, leadUnitID: unitB, by: "b")
                try await filing.create(on: app.db)
            }
            let evidence = FilingAttachment()
            evidence.$filing.id = try filing.requireID()
            evidence.sha256 = String(repeating: "0", count: 64)
            evidence.name = "b.pdf"
            evidence.size = 1
            evidence.kind = "pdf"
            evidence.uploadedBy = "b"
            try await evidence.create(on: app.db)
            let contribution = FilingContribution()
            contribution.$filing.id = try filing.requireID()
            contribution.$unit.id = unitB
            contribution.itemsJSON = "[]"
            contribution.answersJSON = "{}"
            contribution.state = "submitted"
            contribution.updatedBy = "b"
            try await contribution.create(on: app.db)
            let task = CampaignTask()
            task.$campaign.id = cid
            task.phase = "filing"
            task.title = "B 的任务"
            task.$unit.id = unitB
            task.deadline = "2022-10-10"
            task.status = "not_started"
            task.note = ""
            try await task.create(on: app.db)
            let taskFile = TaskAttachment()
            taskFile.$task.id = try task.requireID()
            taskFile.sha256 = String(repeating: "1", count: 64)
            taskFile.name = "b.pdf"
            taskFile.size = 1
            taskFile.kind = "pdf"
            taskFile.uploadedBy = "b"
            try await taskFile.create(on: app.db)
            let flag = VerificationFlag()
            flag.$campaign.id = cid
            flag.$region.id = filing.$region.id
            flag.key = "x"
            flag.rule = "missing_evidence"
            flag.$unit.id = unitB
            flag.evidence = ""
            flag.severity = "high"
            flag.status = "confirmed"
            flag.responseDeadline = "2022-12-01"
            try await flag.create(on: app.db)
            let rect = Rectification()
            rect.$campaign.id = cid
            rect.$region.id = filing.$region.id
            rect.indicatorCode = filing.indicatorCode
            rect.problem = "B 的问题"
            rect.cause = ""
            rect.gap = ""
            rect.measures = ""
            rect.$unit.id = unitB
            rect.leader = ""
            rect.deadline = "2022-12-31"
            rect.status = "planned"
            rect.createdBy = "coordinator"
            try await rect.create(on: app.db)
            let update = RectificationUpdate()
            update.$rectification.id = try rect.requireID()
            update.note = "进展"
            update.status = "planned"
            update.fileName = "b.pdf"
            update.fileSHA256 = String(repeating: "2", count: 64)
            update.fileKind = "pdf"
            update.by = "b"
            try await update.create(on: app.db)
            let question = Question(campaignID: cid, indicatorCode: filing.indicatorCode, itemCode: nil, unitID: unitB, askedBy: "b", title: "B 的提问", body: "?", at: Date())
            try await question.create(on: app.db)
            let practice = BestPractice()
            practice.title = "B 的经验"
            practice.regionName = ""
            practice.description = ""
            practice.measures = ""
            practice.results = ""
            practice.tags = ""
            practice.status = "submitted"
            practice.published = false
            practice.replicate = false
            practice.$unit.id = unitB
            practice.submittedBy = "b"
            try await practice.create(on: app.db)
            // A user of another unit (unit B may have no account in the demo).
            let userB = try await app.userID("filer_tax")

            // The files exist, so a missing check would answer 200 with the other unit's file, not a 404.
            for sha in ["0", "1", "2"].map({ String(repeating: $0, count: 64) }) {
                let path = EvidenceStore.path(for: sha, config: app.settings)
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: path, contents: Data("%PDF-1.4 B".utf8))
            }
            let fid = try filing.requireID().uuidString
            let region = "?region=\(filing.$region.id)"
            let owned: [String: Fixture] = [
                ":filingID": .init(params: [":filingID": fid]),
                ":filingID+:attachmentID": .init(params: [":filingID": fid, ":attachmentID": try evidence.requireID().uuidString]),
                ":filingID+:contributionID": .init(params: [":filingID": fid, ":contributionID": try contribution.requireID().uuidString]),
                ":id+:taskID": .init(params: [":id": cid.uuidString, ":taskID": try task.requireID().uuidString]),
                ":id+:taskID+:attachmentID": .init(
                    params: [":id": cid.uuidString, ":taskID": try task.requireID().uuidString, ":attachmentID": try taskFile.requireID().uuidString]),
                ":flagID": .init(params: [":flagID": try flag.requireID().uuidString]),
                ":rid": .init(params: [":rid": try rect.requireID().uuidString]),
                ":rid+:uid": .init(params: [":rid": try rect.requireID().uuidString, ":uid": try update.requireID().uuidString]),
                ":questionID": .init(params: [":questionID": try question.requireID().uuidString]),
                ":id+:assignmentID": .init(params: [":id": cid.uuidString, ":assignmentID": try assignment.requireID().uuidString]),
                ":id+:indicator": .init(params: [":id": cid.uuidString, ":indicator": filing.indicatorCode], query: region),
                ":pid": .init(params: [":pid": try practice.requireID().uuidString]),
                ":id(user)": .init(params: [":id": userB.uuidString]),
            ]

            let filerWeb = try await app.webSession("filer")
            let headWeb = try await app.webSession("unithead")
            let filerToken = try await app.apiToken("filer")
            let headToken = try await app.apiToken("unithead")
            var unclassified: [String] = []
            var leaks: [String] = []
            var tried = 0
            for route in app.routes.all {
                guard let action = route.requiredAction else { continue }
                let asFiler = Permissions.allows(.filer, action)
                guard asFiler || Permissions.allows(.unitHead, action) else { continue }
                let params = route.path.compactMap { c -> String? in if case .parameter(let n) = c { return ":" + n }; return nil }
                guard !params.isEmpty else { continue }
                let pattern = "/" + route.path.map(\.description).joined(separator: "/")
                let name = "\(route.method.rawValue) \(pattern)"
                if Self.shared[name] != nil { continue }
                var key = params.joined(separator: "+")
                if pattern.hasPrefix("/api/v1/users/") { key = ":id(user)" }
                guard let fixture = owned[key] else {
                    unclassified.append(name)
                    continue
                }
                let path = "/" + route.path.map { c -> String in
                    if case .parameter(let n) = c { return fixture.params[":" + n] ?? "x" }
                    return c.description
                }.joined(separator: "/") + fixture.query
                let api = pattern.hasPrefix("/api/")
                var headers: HTTPHeaders = api ? .bearer(asFiler ? filerToken : headToken) : (asFiler ? filerWeb : headWeb).headers
                let session = asFiler ? filerWeb : headWeb
                let res = try await app.testing().sendRequest(route.method, path, headers: headers) { req in
                    if route.method == .POST && !api {
                        try req.content.encode(["_csrf": session.csrf, "reason": "x", "action": "approve", "note": "x", "body": "x"], as: .urlEncodedForm)
                    } else if route.method != .GET {
                        headers.replaceOrAdd(name: "X-CSRF-Token", value: session.csrf)
                        req.headers.replaceOrAdd(name: "X-CSRF-Token", value: session.csrf)
                        req.headers.contentType = api && !pattern.hasSuffix("attachments") && !pattern.hasSuffix("evidence") ? .json : .binary
                        req.body = ByteBuffer(string: api ? "{}" : "%PDF-1.4 x")
                    }
                }
                tried += 1
                if ![.forbidden, .notFound].contains(res.status) { leaks.append("\(name) as \(asFiler ? "filer" : "unithead") → \(res.status.code)") }
            }
            #expect(unclassified.isEmpty, "routes with an id that are neither owned nor shared: \(unclassified)")
            #expect(leaks.isEmpty, "another unit's record was reachable: \(leaks)")
            #expect(tried >= 40)
            // Nothing of unit B changed.
            #expect(try await Filing.find(filing.id, on: app.db)?.state == filing.state)
            #expect(try await CampaignTask.find(task.id, on: app.db)?.status == "not_started")
            #expect(try await VerificationFlag.find(flag.id, on: app.db)?.response == nil)
            #expect(try await RectificationUpdate.query(on: app.db).filter(\.$rectification.$id == (try rect.requireID())).count() == 1)
        }
    }
}
