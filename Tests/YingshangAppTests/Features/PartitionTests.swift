import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
import YingshangCore
@testable import YingshangApp

/// Issue 21 item 2: on PostgreSQL each campaign's register is its own partition.
@Suite("Register partitions (PostgreSQL)")
struct PartitionTests {
    @Test("a sampling frame read in two halves of the partition by page, on two connections, equals the one read in one query", arguments: TestDatabase.available.filter { $0 == .postgres })
    func frameInHalves(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let sql = try #require(app.db as? any SQLDatabase)
            let county = try await CampaignTests.demoCampaign(app).requireID()
            let snapshot = try #require(try await RegisterSnapshot.number(of: county, on: app.db))
            let store = try #require(try RegisterStores.on(app.db) as? PostgresRegisterStore)
            func count(_ query: SQLQueryString) async throws -> Int {
                try #require(try await sql.raw(query).first()?.decode(column: "n", as: Int.self))
            }
            #expect(try await count("SELECT pg_relation_size('enterprises_s\(unsafeRaw: String(snapshot))') / 8192 AS n") >= 4)
            let cases: [(strata: [String], statuses: [String], foundedBefore: String?, expected: SQLQueryString)] = [
                (["township", "industry", "size"], [], nil, "SELECT count(*) AS n FROM enterprises WHERE snapshot_id = \(bind: snapshot)"),
                (["industry"], ["在业", "存续"], "2015-01-01",
                 "SELECT count(*) AS n FROM enterprises WHERE snapshot_id = \(bind: snapshot) AND status IN ('在业', '存续') AND founded < '2015-01-01'"),
            ]
            for c in cases {
                let whole = try await store.frame(
                    snapshot: snapshot, strata: c.strata, statuses: c.statuses, foundedBefore: c.foundedBefore, splitFromPages: .max)
                let halves = try await store.frame(
                    snapshot: snapshot, strata: c.strata, statuses: c.statuses, foundedBefore: c.foundedBefore, splitFromPages: 2)
                #expect(halves == whole)
                let total = try await count(c.expected)
                #expect(total > 0)
                #expect(halves.values.map(\.count).reduce(0, +) == total)
                #expect(halves.values.allSatisfy { Array($0) == Array($0).sorted() })
            }
        }
    }

    @Test("a sample member or survey response must name an enterprise of its draw's own register: a statement with one bad row stores none", arguments: TestDatabase.available.filter { $0 == .postgres })
    func enterprisesInTheDrawsRegister(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let sql = try #require(app.db as? any SQLDatabase)
            let cid = try await CampaignTests.demoCampaign(app).requireID()
            let snapshot = try #require(try await RegisterSnapshot.number(of: cid, on: app.db))
            let p = DrawParameters(
                size: 12, strata: ["size"], allocation: .proportional, minPerStratum: 1, reserveRatio: 0, seed: 3,
                statuses: EnterpriseRegister.defaultSamplingStatuses, foundedBefore: nil, excludeDrawn: false, sd: [:])
            let draw = try await SampleService.draw(cid, p, by: nil, clock: app.clock, on: app.db)
            let did = try draw.requireID()
            // Issuing inserts the responses through the same check, row by row.
            #expect(try await SurveyService.issue(draw, by: nil, clock: app.clock, on: app.db) > 0)
            func count(_ table: String) async throws -> Int {
                try #require(try await sql.raw("SELECT count(*) AS n FROM \(ident: table) WHERE draw_id = \(bind: did)").first()?
                    .decode(column: "n", as: Int.self))
            }
            let (members, responses) = (try await count("sample_members"), try await count("survey_responses"))
            #expect(members == 12)
            let unused = try await sql.raw("""
                SELECT id FROM enterprises WHERE snapshot_id = \(bind: snapshot)
                AND id NOT IN (SELECT enterprise_id FROM sample_members WHERE draw_id = \(bind: did)) ORDER BY id LIMIT 2
                """).all().map { try $0.decode(column: "id", as: Int.self) }
            try #require(unused.count == 2)
            // Another register's enterprise: a second campaign's snapshot made for the purpose.
            let other = try await Campaign.query(on: app.db).filter(\.$id != cid).first()
            let foreign: Int
            if let other {
                let o = try await RegisterSnapshot.number(of: try other.requireID(), on: app.db)
                foreign = try #require(try await sql.raw("SELECT max(id) AS n FROM enterprises WHERE snapshot_id <> \(bind: o ?? -1) AND snapshot_id <> \(bind: snapshot)").first()?
                    .decode(column: "n", as: Int?.self) ?? 1_000_000_000)
            } else {
                foreign = 1_000_000_000
            }
            // The database's own refusal, not some other error (PostgresNIO's description hides the message).
            func refused(_ body: () async throws -> Void) async -> Bool {
                do { try await body() } catch { return String(reflecting: error).contains("is not in the register of draw") }
                return false
            }
            func insert(_ ids: [Int]) async throws {
                try await sql.raw("""
                    INSERT INTO sample_members (id, draw_id, enterprise_id, stratum, role, position, status)
                    SELECT gen_random_uuid(), \(bind: did), e, 'x', 'reserve', 99, 'active' FROM unnest(\(bind: ids)) AS e
                    """).run()
            }
            // One good and one bad row in one statement: refused, nothing stored.
            #expect(await refused { try await insert([unused[0], 1_000_000_000]) })
            #expect(await refused { try await insert([foreign, unused[0]]) })
            #expect(try await count("sample_members") == members)
            // Good rows are stored.
            try await insert(unused)
            #expect(try await count("sample_members") == members + 2)
            // A response copied with an enterprise of no register is refused; an update to one too (row check).
            #expect(await refused {
                try await sql.raw("""
                    INSERT INTO survey_responses SELECT (jsonb_populate_record(r, jsonb_build_object(
                      'id', gen_random_uuid(), 'token', 'x' || r.token, 'enterprise_id', 1000000000))).*
                    FROM survey_responses r WHERE r.draw_id = \(bind: did) LIMIT 1
                    """).run()
            })
            #expect(try await count("survey_responses") == responses)
            #expect(await refused {
                try await sql.raw("UPDATE sample_members SET enterprise_id = 1000000000 WHERE draw_id = \(bind: did) AND position = 99").run()
            })
        }
    }

    @Test("an import fills its campaign's partition only; deleting the snapshot empties it", arguments: TestDatabase.available.filter { $0 == .postgres })
    func partitions(db: TestDatabase) async throws {
        try await withApp(db) { app in
            let sql = try #require(app.db as? any SQLDatabase)
            let county = try await CampaignTests.demoCampaign(app).requireID()
            _ = try await DemoScoring.load(app: app)
            let city = try #require(try await Campaign.query(on: app.db).filter(\.$name == DemoScoring.cityCampaignName).first()?.id)
            func count(_ query: String) async throws -> Int {
                try #require(try await sql.raw(SQLQueryString(query)).first()?.decode(column: "n", as: Int.self))
            }
            // A first import refused: no snapshot, and no table left behind by the load into a table of its own.
            let bad = "统一社会信用代码,企业名称\n\(USCC.synthetic(1, prefix: "923707")),甲\n123,乙\n"
            let refused = try await RegisterImporter.run(campaignID: city, data: Data(bad.utf8), filename: "bad.csv", skipInvalid: false, db: app.db)
            #expect(!refused.stored && refused.problems.map(\.row) == [3])
            #expect(try await RegisterSnapshot.number(of: city, on: app.db) == nil)
            #expect(try await count("""
                SELECT count(*) AS n FROM pg_class c WHERE c.relname LIKE 'enterprises_s%' AND c.relkind = 'r'
                AND c.relnamespace = current_schema()::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid)
                """) == 0)

            let csv = "统一社会信用代码,企业名称\n\(USCC.synthetic(1, prefix: "923707")),甲\n\(USCC.synthetic(2, prefix: "923707")),乙\n"
            let outcome = try await RegisterImporter.run(campaignID: city, data: Data(csv.utf8), filename: "a.csv", skipInvalid: false, db: app.db)
            #expect(outcome.stored && outcome.imported == 2)
            let citySnapshot = try #require(try await RegisterSnapshot.number(of: city, on: app.db))
            // The first import's table, attached: each of the parent's two indexes (key (id, snapshot), credit code)
            // adopted one of the partition's, and the partition holds the rows.
            #expect(try await count("""
                SELECT count(*) AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE c.relkind = 'i' AND c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'enterprises_s\(citySnapshot)'::regclass)
                """) == 2)
            #expect(try await count("SELECT count(*) AS n FROM pg_index WHERE indrelid = 'enterprises_s\(citySnapshot)'::regclass") == 2)
            #expect(try await count("SELECT count(*) AS n FROM pg_inherits WHERE inhrelid = 'enterprises_s\(citySnapshot)'::regclass AND inhparent = 'enterprises'::regclass") == 1)
            // A second import appends through the attached partition: ids from the same sequence, a repeated code refused.
            let more = "统一社会信用代码,企业名称\n\(USCC.synthetic(3, prefix: "923707")),丙\n\(USCC.synthetic(1, prefix: "923707")),甲\n"
            let appended = try await RegisterImporter.run(campaignID: city, data: Data(more.utf8), filename: "b.csv", skipInvalid: true, db: app.db)
            #expect(appended.stored && appended.imported == 1 && appended.problems.map(\.row) == [3])
            let ids = try await Enterprise.register(of: city, on: app.db).all().compactMap(\.id)
            #expect(ids.count == 3 && Set(ids).count == 3)
            let countySnapshot = try #require(try await RegisterSnapshot.number(of: county, on: app.db))
            #expect(try await count("SELECT count(*) AS n FROM ONLY enterprises_s\(citySnapshot)") == 3)
            #expect(try await count("SELECT count(*) AS n FROM ONLY enterprises_s\(countySnapshot)") == (try await Enterprise.register(of: county, on: app.db).count()))
            #expect(try await count("SELECT count(*) AS n FROM ONLY enterprises_default") == 0)
            #expect(try await count("SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'enterprises'::regclass") >= 3)
            // (The trigger standing in for the members' foreign key: RegisterTests' upgrade test, a dangling member.)
            // A campaign deleted: its partition's rows go with its snapshot.
            try await sql.raw("DELETE FROM register_snapshots WHERE id = \(bind: citySnapshot)").run()
            #expect(try await count("SELECT count(*) AS n FROM ONLY enterprises_s\(citySnapshot)") == 0)
        }
    }

    @Test("two campaigns' first imports at once both store their rows: attaching partitions does not deadlock", arguments: TestDatabase.available.filter { $0 == .postgres })
    func concurrentFirstImports(db: TestDatabase) async throws {
        try await withApp(db) { app in
            _ = try await DemoScoring.load(app: app)
            let city = try #require(try await Campaign.query(on: app.db).filter(\.$name == DemoScoring.cityCampaignName).first()?.id)
            let previous = try #require(try await Campaign.query(on: app.db).filter(\.$name == DemoScoring.previousYearName).first()?.id)
            #expect(try await RegisterSnapshot.number(of: city, on: app.db) == nil)
            #expect(try await RegisterSnapshot.number(of: previous, on: app.db) == nil)
            func file(_ from: Int) -> Data {
                Data(("统一社会信用代码,企业名称\n" + (from..<from + 3_000).map { "\(USCC.synthetic($0, prefix: "923707")),企业\($0)\n" }.joined()).utf8)
            }
            // Twice over the same campaign as well: the second of a pair appends after the first, refusing its codes.
            async let a = RegisterImporter.run(campaignID: city, data: file(0), filename: "a.csv", skipInvalid: true, db: app.db)
            async let b = RegisterImporter.run(campaignID: previous, data: file(10_000), filename: "b.csv", skipInvalid: true, db: app.db)
            async let c = RegisterImporter.run(campaignID: city, data: file(2_500), filename: "c.csv", skipInvalid: true, db: app.db)
            let (ra, rb, rc) = try await (a, b, c)
            #expect(ra.stored && rb.stored && rc.stored)
            #expect(rb.imported == 3_000)
            // Codes 0..<5,500 in the city's register whichever of a and c went first; the 500 they share refused once.
            #expect(ra.imported + rc.imported == 5_500 && ra.problems.count + rc.problems.count == 500)
            #expect(try await Enterprise.register(of: city, on: app.db).count() == 5_500)
            #expect(try await Enterprise.register(of: previous, on: app.db).count() == 3_000)
        }
    }
}
