import Fluent
import SQLKit
import Vapor
import YingshangCore

/// A campaign's register snapshot (企业全量名单): its number stands for the campaign in every register row, so a
/// row carries a small integer instead of the campaign's 36-character id (decisions.md, 2026-12-02 second entry).
final class RegisterSnapshot: Model, @unchecked Sendable {
    static let schema = "register_snapshots"

    @ID(custom: .id, generatedBy: .database) var id: Int?
    @Parent(key: "campaign_id") var campaign: Campaign

    init() {}

    /// The snapshot of a campaign, nil while nothing was ever imported into it.
    static func number(of campaignID: UUID, on db: any Database) async throws -> Int? {
        try await query(on: db).filter(\.$campaign.$id == campaignID).first()?.id
    }

    /// The snapshot of a campaign, created on the first import (inside the import's transaction, so a rejected
    /// file leaves none behind).
    /// On PostgreSQL its partition is created too, unless `partition` is false (a first import builds its own).
    static func ensure(_ campaignID: UUID, on db: any Database, partition: Bool = true) async throws -> Int {
        if let id = try await number(of: campaignID, on: db) { return id }
        if let sql = db as? any SQLDatabase, sql.engine != .sqlite {
            // Two first imports at once on PostgreSQL: the second finds the first's row instead of failing on the
            // unique key (SQLite imports take the write lock before this, so they never race here).
            try await sql.raw("INSERT INTO register_snapshots (campaign_id) VALUES (\(bind: campaignID)) ON CONFLICT (campaign_id) DO NOTHING").run()
            if let id = try await number(of: campaignID, on: db) {
                if partition { try await PartitionRegisterOnPostgres.createPartition(id, on: db) }
                return id
            }
        }
        let snapshot = RegisterSnapshot()
        snapshot.$campaign.id = campaignID
        try await snapshot.create(on: db)
        return try snapshot.requireID()
    }
}

/// One enterprise of a campaign's register snapshot (企业全量名单). Integer ids: a million-row register is
/// written in half the bytes of UUID keys and imports in two thirds of the time (benchmarks.md).
final class Enterprise: Model, @unchecked Sendable {
    static let schema = "enterprises"

    @ID(custom: .id, generatedBy: .database) var id: Int?
    @Parent(key: "snapshot_id") var snapshot: RegisterSnapshot
    @Field(key: "uscc") var uscc: String
    @Field(key: "name") var name: String
    @OptionalField(key: "township_code") var townshipCode: String?
    @OptionalField(key: "industry") var industry: String?
    @OptionalField(key: "size") var size: String?
    @OptionalField(key: "status") var status: String?
    @OptionalField(key: "founded") var founded: String?
    @OptionalField(key: "contact") var contact: String?
    @OptionalField(key: "phone") var phone: String?
    @Field(key: "extra") var extraJSON: String

    init() {}

    /// The values of the named extra columns in a row's `extra` JSON, "" where the row has none (the export's cells).
    static func extraCells(_ extra: String, keys: [String]) -> [String] {
        // Read without Foundation's decoder for the plain shape imports write (a decoder per row was most of a
        // million-row export's time); anything else still goes to Foundation.
        let values = extra == "{}" ? [:]
            : SubmissionJSON.stringObject(extra) ?? (try? JSONDecoder().decode([String: String].self, from: Data(extra.utf8))) ?? [:]
        return keys.map { values[$0] ?? "" }
    }

    /// The campaign's register as a query; matches nothing while the campaign has no snapshot.
    static func register(of campaignID: UUID, on db: any Database) async throws -> QueryBuilder<Enterprise> {
        let snapshot = try await RegisterSnapshot.number(of: campaignID, on: db) ?? -1
        return query(on: db).filter(\.$snapshot.$id == snapshot)
    }
}

/// A background import with its outcome, readable from any instance.
final class ImportJob: Model, @unchecked Sendable {
    static let schema = "import_jobs"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @Parent(key: "campaign_id") var campaign: Campaign
    @Field(key: "status") var status: String
    @Field(key: "message") var message: String
    @Field(key: "imported") var imported: Int
    @Field(key: "problems") var problemsJSON: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    /// Renewed by the instance running the job (`JobLease`); past it, the job was abandoned.
    @OptionalField(key: "lease_until") var leaseUntil: Date?
    /// The uploaded file the job reads, removed when an abandoned job is closed.
    @OptionalField(key: "upload_path") var uploadPath: String?
    /// Rows checked so far and the estimated total, written every half second while the job runs, so that every
    /// instance shows the progress of an import running on any of them (AddImportJobProgress).
    @OptionalField(key: "progress_done") var progressDone: Int?
    @OptionalField(key: "progress_total") var progressTotal: Int?

    init() {}

    init(kind: String, campaignID: UUID, by: String) {
        self.kind = kind
        self.$campaign.id = campaignID
        self.status = "running"
        self.message = "正在读取文件"
        self.imported = 0
        self.problemsJSON = "[]"
        self.createdBy = by
        self.leaseUntil = JobLease.expiry(from: Date())
    }

    var problems: [RowProblem] {
        (try? JSONDecoder().decode([RowProblem].self, from: Data(problemsJSON.utf8))) ?? []
    }
}

struct CreateRegisterTables: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Enterprise.schema)
            .id()
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("uscc", .string, .required)
            .field("name", .string, .required)
            .field("township_code", .string)
            .field("industry", .string)
            .field("size", .string)
            .field("status", .string)
            .field("founded", .string)
            .field("contact", .string)
            .field("phone", .string)
            .field("extra", .string, .required)
            .unique(on: "campaign_id", "uscc")
            .create()
        try await db.schema(ImportJob.schema)
            .id()
            .field("kind", .string, .required)
            .field("campaign_id", .uuid, .required, .references(Campaign.schema, "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("message", .string, .required)
            .field("imported", .int, .required)
            .field("problems", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ImportJob.schema).delete()
        try await db.schema(Enterprise.schema).delete()
    }
}

/// On SQLite the register's unique key (campaign, credit code) was a table constraint, whose index cannot be
/// dropped. Rebuilding the table with the key as a named unique index lets a large import drop the index and
/// build it once at the end (random credit codes made maintaining it row by row most of an import's time).
/// PostgreSQL keeps its constraint: nothing to do there.
struct MoveEnterpriseKeyToIndex: AsyncMigration {
    static let indexName = "enterprises_campaign_uscc"

    func prepare(on db: any Database) async throws {
        guard let probe = db as? any SQLDatabase, probe.engine == .sqlite else { return }
        let columns = "id, campaign_id, uscc, name, township_code, industry, size, status, founded, contact, phone, extra"
        try await SQLiteTableRebuild.run(db, failure: "重建企业名单表后外键检查失败", [
            """
            CREATE TABLE "enterprises_rebuilt" ("id" UUID PRIMARY KEY, "campaign_id" UUID NOT NULL REFERENCES "campaigns" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, "uscc" TEXT NOT NULL, "name" TEXT NOT NULL, "township_code" TEXT, "industry" TEXT, "size" TEXT, "status" TEXT, "founded" TEXT, "contact" TEXT, "phone" TEXT, "extra" TEXT NOT NULL)
            """,
            "INSERT INTO enterprises_rebuilt (\(columns)) SELECT \(columns) FROM enterprises",
            "DROP TABLE enterprises",
            "ALTER TABLE enterprises_rebuilt RENAME TO enterprises",
            "CREATE UNIQUE INDEX \(Self.indexName) ON enterprises (campaign_id, uscc)",
        ])
    }

    func revert(on db: any Database) async throws {}
}

/// Integer keys for the register: a `register_snapshots` row per campaign, `enterprises.id` an integer (SQLite's
/// rowid) and `snapshot_id` in place of `campaign_id`; sample members and survey responses follow the new ids.
/// Existing rows keep their order; each old id is mapped through the unique (campaign, credit code) key.
struct MoveRegisterToIntegerKeys: AsyncMigration {
    static let indexName = "enterprises_snapshot_uscc"
    static let columns = "uscc, name, township_code, industry, size, status, founded, contact, phone, extra"
    /// The new id of the enterprise an old (UUID) reference pointed at, for an `UPDATE … SET enterprise_id = `.
    static func newID(of table: String) -> String {
        """
        (SELECT n.id FROM enterprises o JOIN register_snapshots s ON s.campaign_id = o.campaign_id
         JOIN enterprises_rebuilt n ON n.snapshot_id = s.id AND n.uscc = o.uscc WHERE o.id = \(table).enterprise_id)
        """
    }

    func prepare(on db: any Database) async throws {
        guard let probe = db as? any SQLDatabase else { return }
        if probe.engine == .sqlite {
            try await sqlite(db)
        } else {
            try await db.transaction { tx in
                guard let sql = tx as? any SQLDatabase else { return }
                try await postgres(sql)
            }
        }
    }

    private func sqlite(_ db: any Database) async throws {
        try await SQLiteTableRebuild.run(db, failure: "企业名单改用整数编号后外键检查失败", [
            """
            CREATE TABLE "register_snapshots" ("id" INTEGER PRIMARY KEY, "campaign_id" UUID NOT NULL UNIQUE REFERENCES "campaigns" ("id") ON DELETE CASCADE)
            """,
            "INSERT INTO register_snapshots (campaign_id) SELECT DISTINCT campaign_id FROM enterprises",
            """
            CREATE TABLE "enterprises_rebuilt" ("id" INTEGER PRIMARY KEY, "snapshot_id" INTEGER NOT NULL REFERENCES "register_snapshots" ("id") ON DELETE CASCADE, "uscc" TEXT NOT NULL, "name" TEXT NOT NULL, "township_code" TEXT, "industry" TEXT, "size" TEXT, "status" TEXT, "founded" TEXT, "contact" TEXT, "phone" TEXT, "extra" TEXT NOT NULL)
            """,
            """
            INSERT INTO enterprises_rebuilt (snapshot_id, \(Self.columns))
            SELECT s.id, \(Self.columns.split(separator: ",").map { "e." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM enterprises e JOIN register_snapshots s ON s.campaign_id = e.campaign_id ORDER BY e.rowid
            """,
            "CREATE UNIQUE INDEX \(Self.indexName) ON enterprises_rebuilt (snapshot_id, uscc)",
            "UPDATE sample_members SET enterprise_id = \(Self.newID(of: "sample_members"))",
            "UPDATE survey_responses SET enterprise_id = \(Self.newID(of: "survey_responses"))",
            "DROP TABLE enterprises",
            "ALTER TABLE enterprises_rebuilt RENAME TO enterprises",
        ])
    }

    private func postgres(_ sql: any SQLDatabase) async throws {
        var statements = [
            """
            CREATE TABLE register_snapshots (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, campaign_id UUID NOT NULL UNIQUE REFERENCES campaigns (id) ON DELETE CASCADE)
            """,
            "INSERT INTO register_snapshots (campaign_id) SELECT DISTINCT campaign_id FROM enterprises",
            "ALTER TABLE enterprises ADD COLUMN n BIGINT GENERATED BY DEFAULT AS IDENTITY",
            "ALTER TABLE enterprises ADD COLUMN snapshot_id BIGINT",
            "UPDATE enterprises e SET snapshot_id = s.id FROM register_snapshots s WHERE s.campaign_id = e.campaign_id",
        ]
        for table in ["sample_members", "survey_responses"] {
            statements += [
                "ALTER TABLE \(table) ADD COLUMN enterprise_n BIGINT",
                "UPDATE \(table) m SET enterprise_n = e.n FROM enterprises e WHERE e.id = m.enterprise_id",
                // Drops the column's foreign key and its (draw, enterprise) unique constraint with it.
                "ALTER TABLE \(table) DROP COLUMN enterprise_id",
                "ALTER TABLE \(table) RENAME COLUMN enterprise_n TO enterprise_id",
                "ALTER TABLE \(table) ALTER COLUMN enterprise_id SET NOT NULL",
            ]
        }
        statements += [
            "ALTER TABLE enterprises DROP COLUMN id",
            "ALTER TABLE enterprises DROP COLUMN campaign_id",
            "ALTER TABLE enterprises RENAME COLUMN n TO id",
            "ALTER TABLE enterprises ADD PRIMARY KEY (id)",
            "ALTER TABLE enterprises ALTER COLUMN snapshot_id SET NOT NULL",
            "ALTER TABLE enterprises ADD CONSTRAINT enterprises_snapshot_fk FOREIGN KEY (snapshot_id) REFERENCES register_snapshots (id) ON DELETE CASCADE",
            "ALTER TABLE enterprises ADD CONSTRAINT \(Self.indexName) UNIQUE (snapshot_id, uscc)",
        ]
        for table in ["sample_members", "survey_responses"] {
            statements += [
                "ALTER TABLE \(table) ADD CONSTRAINT \(table)_enterprise_fk FOREIGN KEY (enterprise_id) REFERENCES enterprises (id)",
                "ALTER TABLE \(table) ADD CONSTRAINT \(table)_draw_enterprise UNIQUE (draw_id, enterprise_id)",
            ]
        }
        for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
    }

    func revert(on db: any Database) async throws {}
}

/// Statements that drop and recreate a table other tables refer to, on SQLite: foreign keys off (the setting cannot
/// change inside a transaction), one transaction, and the foreign keys checked before it commits.
enum SQLiteTableRebuild {
    static func run(_ db: any Database, failure: String, _ statements: [String]) async throws {
        try await db.withConnection { conn in
            guard let sql = conn as? any SQLDatabase else { return }
            try await sql.raw("PRAGMA foreign_keys = OFF").run()
            do {
                try await sql.raw("BEGIN").run()
                for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
                let broken = try await sql.raw("PRAGMA foreign_key_check").all()
                if !broken.isEmpty { throw AppError.conflict(failure) }
                try await sql.raw("COMMIT").run()
            } catch {
                try? await sql.raw("ROLLBACK").run()
                try? await sql.raw("PRAGMA foreign_keys = ON").run()
                throw error
            }
            try await sql.raw("PRAGMA foreign_keys = ON").run()
        }
    }
}

/// Import jobs carry a lease (`JobLease`): the columns behind it.
struct AddImportJobLease: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ImportJob.schema).field("lease_until", .datetime).update()
        try await db.schema(ImportJob.schema).field("upload_path", .string).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ImportJob.schema).deleteField("upload_path").update()
        try await db.schema(ImportJob.schema).deleteField("lease_until").update()
    }
}

struct AddImportJobProgress: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ImportJob.schema).field("progress_done", .int).update()
        try await db.schema(ImportJob.schema).field("progress_total", .int).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ImportJob.schema).deleteField("progress_total").update()
        try await db.schema(ImportJob.schema).deleteField("progress_done").update()
    }
}

/// PostgreSQL: the register is partitioned by snapshot (one campaign's register per partition, issue 21), so a
/// county's import, draw, page, count and export touch its own table and indexes whatever the province's total, and
/// a deleted campaign's rows go with one table. `(snapshot_id, id)` is the key (a partitioned table's unique keys
/// must hold the partition column); sample members and survey responses check their enterprise ids with a trigger,
/// as PostgreSQL cannot point a foreign key at a partitioned table's `id` alone (see decisions.md).
/// PostgreSQL 15 has no identity columns on partitioned tables: ids come from a sequence. SQLite is unchanged.
struct PartitionRegisterOnPostgres: AsyncMigration {
    static let columns = "id, snapshot_id, uscc, name, township_code, industry, size, status, founded, contact, phone, extra"

    /// The partition of one snapshot.
    static func partition(_ snapshot: Int) -> String { "enterprises_s\(snapshot)" }

    func prepare(on db: any Database) async throws {
        guard let probe = db as? any SQLDatabase, probe.engine != .sqlite else { return }
        try await db.transaction { tx in
            guard let sql = tx as? any SQLDatabase else { return }
            var statements = [
                "ALTER TABLE sample_members DROP CONSTRAINT IF EXISTS sample_members_enterprise_fk",
                "ALTER TABLE survey_responses DROP CONSTRAINT IF EXISTS survey_responses_enterprise_fk",
                "ALTER TABLE enterprises RENAME TO enterprises_unpartitioned",
                "ALTER TABLE enterprises_unpartitioned RENAME CONSTRAINT \(MoveRegisterToIntegerKeys.indexName) TO enterprises_unpartitioned_snapshot_uscc",
                "ALTER TABLE enterprises_unpartitioned RENAME CONSTRAINT enterprises_snapshot_fk TO enterprises_unpartitioned_snapshot_fk",
                "CREATE SEQUENCE enterprises_id_seq AS BIGINT",
                """
                CREATE TABLE enterprises (
                  id BIGINT NOT NULL DEFAULT nextval('enterprises_id_seq'),
                  snapshot_id BIGINT NOT NULL,
                  uscc TEXT NOT NULL, name TEXT NOT NULL, township_code TEXT, industry TEXT, size TEXT, status TEXT,
                  founded TEXT, contact TEXT, phone TEXT, extra TEXT NOT NULL,
                  PRIMARY KEY (snapshot_id, id),
                  CONSTRAINT \(MoveRegisterToIntegerKeys.indexName) UNIQUE (snapshot_id, uscc),
                  CONSTRAINT enterprises_snapshot_fk FOREIGN KEY (snapshot_id) REFERENCES register_snapshots (id) ON DELETE CASCADE
                ) PARTITION BY LIST (snapshot_id)
                """,
                "ALTER SEQUENCE enterprises_id_seq OWNED BY enterprises.id",
                // Lookups by id alone (a sample member's enterprise): one small index per partition.
                "CREATE INDEX enterprises_id ON enterprises (id)",
                "CREATE TABLE enterprises_default PARTITION OF enterprises DEFAULT",
            ]
            for row in try await sql.raw("SELECT id FROM register_snapshots ORDER BY id").all() {
                let id = try row.decode(column: "id", as: Int.self)
                statements.append("CREATE TABLE \(Self.partition(id)) PARTITION OF enterprises FOR VALUES IN (\(id))")
            }
            statements += [
                "INSERT INTO enterprises (\(Self.columns)) SELECT \(Self.columns) FROM enterprises_unpartitioned",
                "SELECT setval('enterprises_id_seq', coalesce((SELECT max(id) FROM enterprises), 0) + 1, false)",
                "DROP TABLE enterprises_unpartitioned",
                // In place of the foreign keys: a member or response must name an enterprise that exists.
                """
                CREATE FUNCTION yingshang_enterprise_exists() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF NOT EXISTS (SELECT 1 FROM enterprises WHERE id = NEW.enterprise_id) THEN
                    RAISE EXCEPTION 'enterprise % does not exist', NEW.enterprise_id USING ERRCODE = 'foreign_key_violation';
                  END IF;
                  RETURN NEW;
                END $$
                """,
                "CREATE TRIGGER sample_members_enterprise_exists BEFORE INSERT OR UPDATE OF enterprise_id ON sample_members FOR EACH ROW EXECUTE FUNCTION yingshang_enterprise_exists()",
                "CREATE TRIGGER survey_responses_enterprise_exists BEFORE INSERT OR UPDATE OF enterprise_id ON survey_responses FOR EACH ROW EXECUTE FUNCTION yingshang_enterprise_exists()",
            ]
            for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
        }
    }

    func revert(on db: any Database) async throws {}

    /// Called where a snapshot is created: its partition, in the same transaction (PostgreSQL only).
    static func createPartition(_ snapshot: Int, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.engine != .sqlite else { return }
        let ddl = "CREATE TABLE IF NOT EXISTS \(partition(snapshot)) PARTITION OF enterprises FOR VALUES IN (\(snapshot))"
        try await sql.raw(SQLQueryString(ddl)).run()
    }

    /// The transaction-scoped advisory lock that first imports take in turn (an arbitrary constant of this project's).
    static let firstImportLock: Int64 = 0x5953_5245_4749_0001

    /// Whether the snapshot has no partition yet (its first import is running).
    static func isMissing(_ snapshot: Int, on sql: any SQLDatabase) async throws -> Bool {
        let row = try await sql.raw("SELECT to_regclass(\(bind: partition(snapshot))) IS NULL AS missing").first()
        return try row?.decode(column: "missing", as: Bool.self) ?? true
    }

    /// A first import's table: the partition's columns and defaults, not yet attached and without indexes, so that
    /// COPY writes only the rows; its check constraint lets ATTACH skip scanning them.
    static func createDetached(_ snapshot: Int, on sql: any SQLDatabase) async throws {
        let table = partition(snapshot)
        let ddl = "CREATE TABLE \(table) (LIKE enterprises INCLUDING DEFAULTS, CONSTRAINT \(table)_snapshot CHECK (snapshot_id = \(snapshot)))"
        try await sql.raw(SQLQueryString(ddl)).run()
    }

    /// Builds the loaded table's indexes (each once, sorted in memory) and attaches it: the parent's indexes adopt
    /// the matching ones instead of building them again. A duplicate credit code fails here and rolls the import back.
    static func indexAndAttach(_ snapshot: Int, on sql: any SQLDatabase) async throws {
        let table = partition(snapshot)
        for statement in [
            "SET LOCAL maintenance_work_mem = '256MB'",
            "ALTER TABLE \(table) ADD PRIMARY KEY (id, snapshot_id)",
            "ALTER TABLE \(table) ADD CONSTRAINT \(table)_snapshot_uscc UNIQUE (snapshot_id, uscc)",
            "ALTER TABLE enterprises ATTACH PARTITION \(table) FOR VALUES IN (\(snapshot))",
        ] {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }
}

/// The register's key leads with the id, `(id, snapshot_id)`: lookups by id alone (a sample member's enterprise, the
/// members' trigger) use it, so the separate index on id goes, and a first import builds two indexes instead of three
/// (benchmarks.md, fifteenth session). PostgreSQL only.
struct KeyRegisterByIDFirst: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let probe = db as? any SQLDatabase, probe.engine != .sqlite else { return }
        try await db.transaction { tx in
            guard let sql = tx as? any SQLDatabase else { return }
            for statement in [
                // The key's name depends on the database's history (`enterprises_pkey1` after the partitioning).
                """
                DO $$ BEGIN
                  EXECUTE format('ALTER TABLE enterprises DROP CONSTRAINT %I',
                    (SELECT conname FROM pg_constraint WHERE conrelid = 'enterprises'::regclass AND contype = 'p'));
                END $$
                """,
                "ALTER TABLE enterprises ADD CONSTRAINT enterprises_key PRIMARY KEY (id, snapshot_id)",
                "DROP INDEX enterprises_id",
            ] {
                try await sql.raw(SQLQueryString(statement)).run()
            }
        }
    }

    func revert(on db: any Database) async throws {}
}

/// The check that a sample member or survey response names an enterprise (PostgreSQL's stand-in for the foreign key
/// partitioning removed) looked the id up in every partition: a province's 100 registers made each member row 100
/// index probes, and a draw of 1,000 took 1.5 s instead of 0.6. It now finds the draw's register first and probes only
/// that partition — which also makes the check say what it means: the enterprise is in the draw's own register.
struct CheckEnterpriseInTheDrawsRegister: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.engine != .sqlite else { return }
        try await sql.raw("""
            CREATE OR REPLACE FUNCTION yingshang_enterprise_exists() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE register bigint;
            BEGIN
              SELECT s.id INTO register FROM sample_draws d JOIN register_snapshots s ON s.campaign_id = d.campaign_id
                WHERE d.id = NEW.draw_id;
              -- A variable, not a subquery: the partition is then chosen when the lookup starts, not after opening all.
              IF register IS NULL OR NOT EXISTS (SELECT 1 FROM enterprises WHERE snapshot_id = register AND id = NEW.enterprise_id) THEN
                RAISE EXCEPTION 'enterprise % is not in the register of draw %', NEW.enterprise_id, NEW.draw_id
                  USING ERRCODE = 'foreign_key_violation';
              END IF;
              RETURN NEW;
            END $$
            """).run()
    }

    func revert(on db: any Database) async throws {}
}

/// The same check once per statement instead of once per row: a draw writes its members (and issuing a draw's
/// survey links its responses) in one statement, and the row trigger was a plpgsql call, a register lookup and a
/// probe per row — 83 ms for 3,000 members against 39 ms checked as one anti-join of the statement's new rows (34 ms
/// unchecked; docs/benchmarks.md). Updates of the enterprise keep the row check. PostgreSQL only.
struct CheckEnterprisesPerStatement: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.engine != .sqlite else { return }
        var statements = [
            """
            CREATE FUNCTION yingshang_enterprises_exist() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE register bigint; draw uuid; missing bigint;
            BEGIN
              FOR draw IN SELECT DISTINCT draw_id FROM new_rows LOOP
                SELECT s.id INTO register FROM sample_draws d JOIN register_snapshots s ON s.campaign_id = d.campaign_id
                  WHERE d.id = draw;
                SELECT n.enterprise_id INTO missing FROM new_rows n
                  WHERE n.draw_id = draw
                    AND (n.enterprise_id IS NULL
                         OR NOT EXISTS (SELECT 1 FROM enterprises e WHERE e.snapshot_id = register AND e.id = n.enterprise_id))
                  LIMIT 1;
                IF register IS NULL OR FOUND THEN
                  RAISE EXCEPTION 'enterprise % is not in the register of draw %', missing, draw
                    USING ERRCODE = 'foreign_key_violation';
                END IF;
              END LOOP;
              RETURN NULL;
            END $$
            """,
        ]
        for table in ["sample_members", "survey_responses"] {
            statements += [
                "DROP TRIGGER \(table)_enterprise_exists ON \(table)",
                "CREATE TRIGGER \(table)_enterprise_exists BEFORE UPDATE OF enterprise_id ON \(table) FOR EACH ROW EXECUTE FUNCTION yingshang_enterprise_exists()",
                "CREATE TRIGGER \(table)_enterprises_exist AFTER INSERT ON \(table) REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION yingshang_enterprises_exist()",
            ]
        }
        for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
    }

    func revert(on db: any Database) async throws {}
}

/// Credit codes compare byte by byte (`COLLATE "C"`): they are ASCII, so the order is the same, but a first import's
/// unique index on (snapshot, code) sorts a million codes with memcmp and abbreviated keys instead of the database's
/// locale (0.79 s instead of 1.14 s under C.UTF-8 here; more under zh_CN or en_US). The indexes on the column are
/// rebuilt once, here. PostgreSQL only; SQLite compares bytes already.
struct CollateCreditCodesBytewise: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.engine != .sqlite else { return }
        try await sql.raw("ALTER TABLE enterprises ALTER COLUMN uscc TYPE text COLLATE \"C\"").run()
    }

    func revert(on db: any Database) async throws {}
}
