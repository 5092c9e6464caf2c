import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// What several instances on one database rely on (issue 21 item 3). The whole deployment — two processes behind
/// nginx, one killed mid-load — is exercised by scripts/two-instances.sh in .ci/run.
@Suite("Several instances")
struct InstancesTests {
    @Test("scheduled work: of many claims on one period, exactly one wins; the next period can be claimed again", arguments: TestDatabase.available)
    func claims(db: TestDatabase) async throws {
        try await withApp(db, seedDemo: false) { app in
            let now = Date()
            let slot = ScheduledWork.slot(now, period: 10)
            let wins = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { await ScheduledWork.claim("session-sweep", slot: slot, now: now, on: app.db) } }
                var n = 0
                for await won in group where won { n += 1 }
                return n
            }
            #expect(wins == 1)
            #expect(await ScheduledWork.claim("session-sweep", slot: slot + 1, now: now, on: app.db))
            #expect(await ScheduledWork.claim("import-job-sweep", slot: slot, now: now, on: app.db), "another kind of work has its own slots")
            let rows = try await ScheduledRun.query(on: app.db).count()
            #expect(rows == 3)
        }
    }

    @Test("an import running on another instance shows the progress that instance wrote to the job row", arguments: TestDatabase.available)
    func progressFromTheRow(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let c = try await CampaignTests.demoCampaign(app)
            let job = ImportJob(kind: "register", campaignID: try c.requireID(), by: "coordinator")
            job.progressDone = 32_000
            job.progressTotal = 200_000
            try await job.create(on: app.db)
            let token = try await app.apiToken("coordinator")
            let res = try await app.send(.GET, "/api/v1/jobs/\(try job.requireID())", headers: .bearer(token))
            let dto = try res.decode(RegisterWebController.JobDTO.self)
            #expect(dto.status == "running" && dto.done == 32_000 && dto.total == 200_000)
            // Once finished, the row's final count is what every instance shows.
            job.status = "done"
            job.imported = 199_990
            try await job.update(on: app.db)
            let after = try await app.send(.GET, "/api/v1/jobs/\(try job.requireID())", headers: .bearer(token)).decode(RegisterWebController.JobDTO.self)
            #expect(after.done == 199_990 && after.total == 199_990)
        }
    }
}
