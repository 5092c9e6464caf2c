import Foundation
import Testing

/// Runs the built `yingshang` binary against a temporary SQLite data directory and checks its output.
@Suite("Command line", .serialized)
struct CLITests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var binary: URL {
        // The test bundle sits next to the executable in the build products directory.
        let products = Bundle.main.bundleURL.pathExtension == "xctest"
            ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
        return products.appendingPathComponent("yingshang")
    }

    static func run(_ args: [String], dataDir: String, stdin: String? = nil, extraEnv: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        var env = ProcessInfo.processInfo.environment
        env["YINGSHANG_DATA_DIR"] = dataDir
        env["YINGSHANG_BCRYPT_COST"] = "4"
        env["DATABASE_URL"] = nil
        env["LOG_LEVEL"] = "error"
        env.merge(extraEnv) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    static func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "yingshang-cli-" + UUID().uuidString
        return dir
    }

    @Test("serve with a mistyped YINGSHANG_EXECUTOR exits 1 naming the variable and its values, before any start-up line")
    func serveBadExecutor() throws {
        let r = try Self.run(["serve", "--port", "1"], dataDir: Self.tempDir(), extraEnv: ["YINGSHANG_EXECUTOR": "Swift"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("YINGSHANG_EXECUTOR 应为 event-loops（默认）或 swift"))
        #expect(!r.stdout.contains("http://"))
    }

    @Test("--help lists every command")
    func help() throws {
        let r = try Self.run(["--help"], dataDir: Self.tempDir())
        #expect(r.status == 0)
        // Every subcommand, and no other: a command added without a line here (and in README, ARCHITECTURE) fails.
        let listed = r.stdout.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.allSatisfy { $0.isLowercase || $0 == "-" } } ?? []
        #expect(listed == [
            "serve", "migrate", "demo", "catalog", "enterprises", "sample", "survey", "user", "audit", "backup", "bench-seed",
            "score", "report", "bench-integrity", "feed", "round", "bench-province",
        ])
    }

    @Test("feed issue prints a key once; list shows only its first characters; a unit user may not issue; revoke stops it")
    func feedKeys() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.run(["demo", "--password", "demo12345", "--register-size", "100"], dataDir: dir).status == 0)
        let campaign = "2022 年度县域营商环境评价（示例）"
        let refused = try Self.run(
            ["feed", "issue", "--campaign", campaign, "--region", "青山县", "--indicator", "starting_business", "--name", "一网通办", "--by", "filer"],
            dataDir: dir)
        #expect(refused.status != 0 && refused.stderr.contains("--by 应为有权执行此操作的账户"))
        let badIndicator = try Self.run(
            ["feed", "issue", "--campaign", campaign, "--region", "青山县", "--indicator", "paying_taxes", "--name", "税务", "--by", "coordinator"],
            dataDir: dir)
        #expect(badIndicator.status != 0 && badIndicator.stderr.contains("暂无业务数据模板"))
        let issued = try Self.run(
            ["feed", "issue", "--campaign", campaign, "--region", "青山县", "--indicator", "starting_business", "--name", "一网通办", "--by", "coordinator"],
            dataDir: dir)
        #expect(issued.status == 0, "\(issued.stderr)")
        let key = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("yk_") && key.count > 40)
        let list = try Self.run(["feed", "list", "--campaign", campaign], dataDir: dir)
        #expect(list.stdout.contains(String(key.prefix(10)) + "…") && !list.stdout.contains(key) && list.stdout.contains("有效"))
        let revoked = try Self.run(["feed", "revoke", "--campaign", campaign, "--prefix", String(key.prefix(10)), "--by", "coordinator"], dataDir: dir)
        #expect(revoked.status == 0 && revoked.stdout.contains("一网通办"))
        #expect(try Self.run(["feed", "list", "--campaign", campaign], dataDir: dir).stdout.contains("已停用"))
    }

    @Test("round create opens a quarter's round as the coordinator and names a bad window; a unit user may not; round list shows the demo's scored rounds")
    func rounds() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.run(["demo", "--password", "demo12345", "--register-size", "100"], dataDir: dir).status == 0)
        let campaign = "2022 年度县域营商环境评价（示例）"
        let list = try Self.run(["round", "list", "--campaign", campaign], dataDir: dir)
        #expect(list.status == 0 && list.stdout.contains("2023年第1季度\t填报 2023-04-03–2023-04-17\t已报送 6/6\t已评分"), "\(list.stdout)")
        #expect(list.stdout.contains("综合得分\t2023年第1季度\t2023年第2季度\t2023年第3季度") && list.stdout.contains("\t—"))
        let refused = try Self.run(["round", "create", "--campaign", campaign, "--number", "4", "--year", "2023", "--by", "filer"], dataDir: dir)
        #expect(refused.status != 0 && refused.stderr.contains("--by 应为有权执行此操作的账户"))
        let inside = try Self.run(
            ["round", "create", "--campaign", campaign, "--number", "4", "--year", "2023", "--filing-start", "2023-12-01", "--filing-end", "2024-01-10", "--by", "coordinator"],
            dataDir: dir)
        #expect(inside.status != 0 && inside.stderr.contains("filingStart: 填报开始日期应晚于监测期末（2023-12-31）"), "\(inside.stderr)")
        let made = try Self.run(
            ["round", "create", "--campaign", campaign, "--number", "4", "--year", "2023", "--indicators", "starting_business,paying_taxes", "--by", "coordinator"],
            dataDir: dir)
        // 2 January 2024 is the first working day after the quarter (1 January is 元旦); ten working days end on 15 January.
        #expect(made.status == 0 && made.stdout.contains("2023年第4季度监测  填报 2024-01-02–2024-01-15  进行中"), "\(made.stdout) \(made.stderr)")
        #expect(try Self.run(["round", "list", "--campaign", campaign], dataDir: dir).stdout.contains("2023年第4季度\t填报 2024-01-02–2024-01-15\t已报送 0/2\t未评分"))
    }

    @Test("demo creates the data directory, prints logins, and a second run adds nothing")
    func demoTwice() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Self.run(["demo", "--password", "demo12345"], dataDir: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/yingshang.sqlite"))
        #expect(first.stdout.contains("admin"))
        #expect(first.stdout.contains("demo12345"))
        #expect(first.stdout.contains("assessor"))
        let second = try Self.run(["demo", "--password", "demo12345"], dataDir: dir)
        #expect(second.status == 0)
        #expect(second.stdout.contains("新增 0 条记录"))

        // Without --password, new users would get a generated one; existing users keep theirs.
        let third = try Self.run(["demo"], dataDir: dir)
        #expect(third.stdout.contains("未修改"))
    }

    @Test("sample draw --sd-column: a Neyman draw takes S_h from a register column and gives the wide strata more")
    func neymanFromColumn() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.run(["demo", "--password", "demo12345"], dataDir: dir).status == 0)
        let name = "2022 年度县域营商环境评价（示例）"
        let r = try Self.run(
            ["sample", "draw", "--campaign", name, "--size", "60", "--seed", "3", "--strata", "size", "--allocation", "neyman", "--sd-column", "从业人员"],
            dataDir: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("标准差取自名单“从业人员”列"))
        // The demo's headcounts are uniform within the size bands (micro 1–19, large 1000–3000), so S_h of 大型 is
        // about a hundred times that of 微型: per enterprise, large firms are sampled far more often.
        var rate: [String: Double] = [:]
        for line in r.stdout.split(separator: "\n") {
            let cells = line.split(separator: "\t").map(String.init)
            if cells.count == 4, let big = Double(cells[1]), let n = Double(cells[2]), big > 0 { rate[cells[0]] = n / big }
        }
        #expect(try #require(rate["大型"]) > 10 * (try #require(rate["微型"])))
        let bad = try Self.run(
            ["sample", "draw", "--campaign", name, "--size", "60", "--seed", "3", "--allocation", "neyman", "--sd-column", "联系电话备注"],
            dataDir: dir)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("不足以计算标准差"))
    }

    @Test("enterprises generate writes a register that imports; a bad import stores nothing and writes the error report")
    func registerFromTheCommandLine() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.run(["demo", "--password", "demo12345", "--register-size", "50"], dataDir: dir).status == 0)
        let file = dir + "/register.csv"
        #expect(try Self.run(["enterprises", "generate", "--rows", "0", "--out", file], dataDir: dir).status != 0)
        let made = try Self.run(["enterprises", "generate", "--rows", "300", "--out", file], dataDir: dir)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count == 301)
        // The city campaign of the demo has an empty register; it is named, not looked up by id.
        let city = "2022 年度青山市县域营商环境评价（8 县示例）"
        var bad = try String(contentsOfFile: file, encoding: .utf8)
        bad += "911100001000013796,坏企业,火星镇,,,,,,\n"
        try bad.write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let rejected = try Self.run(
            ["enterprises", "import", dir + "/bad.csv", "--campaign", city, "--error-report", dir + "/errors.csv"], dataDir: dir)
        #expect(rejected.status != 0)
        #expect(rejected.stderr.contains("第 302 行"))
        #expect(try String(contentsOfFile: dir + "/errors.csv", encoding: .utf8).contains("火星镇"))
        let imported = try Self.run(["enterprises", "import", file, "--campaign", city], dataDir: dir)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("已导入 300 家企业"))
        let unknown = try Self.run(["enterprises", "import", file, "--campaign", "没有这个评价"], dataDir: dir)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains(city))
    }

    @Test("user create validates flags, reads the password from stdin, and reset-password works")
    func userCommands() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Self.run(["demo", "--password", "demo12345"], dataDir: dir)

        let badRole = try Self.run(["user", "create", "--username", "newfiler", "--role", "king", "--unit", "SCJG"], dataDir: dir)
        #expect(badRole.status != 0)
        #expect(badRole.stderr.contains("role"))
        let badUnit = try Self.run(["user", "create", "--username", "newfiler", "--role", "filer", "--unit", "NOPE"], dataDir: dir)
        #expect(badUnit.stderr.contains("单位代码 NOPE 不存在"))
        let weak = try Self.run(
            ["user", "create", "--username", "newfiler", "--role", "filer", "--unit", "SCJG", "--password-stdin"],
            dataDir: dir, stdin: "short\n")
        #expect(weak.status != 0)
        #expect(weak.stderr.contains("密码至少 8 位"))

        let ok = try Self.run(
            ["user", "create", "--username", "newfiler", "--role", "filer", "--unit", "SCJG", "--password-stdin"],
            dataDir: dir, stdin: "goodpass1\n")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("newfiler"))
        #expect(!ok.stdout.contains("goodpass1"))

        // Region binding (issue 21): an unknown division code is refused and nothing is created.
        let badRegion = try Self.run(
            ["user", "create", "--username", "citycoord", "--role", "coordinator", "--unit", "SPJ", "--region", "999999"], dataDir: dir)
        #expect(badRegion.status != 0)
        #expect(badRegion.stderr.contains("行政区划代码 999999 不存在"))
        let bound = try Self.run(
            ["user", "create", "--username", "countycoord", "--role", "coordinator", "--unit", "SPJ", "--region", "370799"], dataDir: dir)
        #expect(bound.status == 0, "\(bound.stderr)")
        let again = try Self.run(
            ["user", "create", "--username", "citycoord", "--role", "coordinator", "--unit", "SPJ"], dataDir: dir)
        #expect(again.status == 0, "the refused name was not taken: \(again.stderr)")

        let reset = try Self.run(["user", "reset-password", "--username", "newfiler"], dataDir: dir)
        #expect(reset.status == 0)
        #expect(reset.stdout.contains("已重置密码"))
        let missing = try Self.run(["user", "reset-password", "--username", "ghost"], dataDir: dir)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("用户 ghost 不存在"))
    }

    @Test("backup writes a usable SQLite copy and never overwrites")
    func backup() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Self.run(["demo", "--password", "demo12345"], dataDir: dir)
        let target = dir + "/backup.sqlite"
        let r = try Self.run(["backup", "--out", target], dataDir: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        #expect(size > 10_000)
        // The copy is a working database: the demo loader against it finds everything already there.
        let copyDir = dir + "/copy"
        try FileManager.default.createDirectory(atPath: copyDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: target, toPath: copyDir + "/yingshang.sqlite")
        let check = try Self.run(["demo", "--password", "demo12345"], dataDir: copyDir)
        #expect(check.stdout.contains("新增 0 条记录"))

        let again = try Self.run(["backup", "--out", target], dataDir: dir)
        #expect(again.status != 0)
        #expect(again.stderr.contains("已存在"))
    }

    @Test("backup, wipe, restore: the database and the evidence files come back, the audit chain verifies")
    func backupWipeRestore() throws {
        let dir = Self.tempDir()
        let safe = Self.tempDir()
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: safe)
        }
        _ = try Self.run(["demo", "--password", "demo12345"], dataDir: dir)
        // Two evidence files as the store keeps them (by SHA-256), and an upload in progress that must not be copied.
        let pdf = Data("%PDF-1.4 营商环境 evidence".utf8)
        let sha = "ab" + String(repeating: "0", count: 62)
        try FileManager.default.createDirectory(atPath: "\(dir)/evidence/ab", withIntermediateDirectories: true)
        try pdf.write(to: URL(fileURLWithPath: "\(dir)/evidence/ab/\(sha)"))
        try FileManager.default.createDirectory(atPath: "\(dir)/evidence/tmp", withIntermediateDirectories: true)
        try Data("partial".utf8).write(to: URL(fileURLWithPath: "\(dir)/evidence/tmp/upload"))
        try FileManager.default.createDirectory(atPath: safe, withIntermediateDirectories: true)
        let r = try Self.run(["backup", "--out", "\(safe)/yingshang.sqlite", "--evidence-out", "\(safe)/evidence"], dataDir: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("evidence files copied: 1"))
        // A second run copies nothing new (incremental).
        let again = try Self.run(["backup", "--out", "\(safe)/second.sqlite", "--evidence-out", "\(safe)/evidence"], dataDir: dir)
        #expect(again.stdout.contains("evidence files copied: 0"))

        // Wipe the data directory, restore as docs/operations.md says (copy back), and check.
        try FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(safe)/yingshang.sqlite", toPath: "\(dir)/yingshang.sqlite")
        try FileManager.default.copyItem(atPath: "\(safe)/evidence", toPath: "\(dir)/evidence")
        #expect(FileManager.default.contents(atPath: "\(dir)/evidence/ab/\(sha)") == pdf)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/evidence/tmp/upload"))
        let verify = try Self.run(["audit", "verify"], dataDir: dir)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(try Self.run(["demo", "--password", "demo12345"], dataDir: dir).stdout.contains("新增 0 条记录"))
    }

    @Test("catalog load-national is idempotent; export and import round-trip; a bad file is refused")
    func catalog() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let first = try Self.run(["catalog", "load-national"], dataDir: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("V1"))
        let second = try Self.run(["catalog", "load-national"], dataDir: dir)
        #expect(second.stdout.contains("已是当前版本 V1"))

        let xlsx = dir + "/catalog.xlsx"
        #expect(try Self.run(["catalog", "export", "--out", xlsx], dataDir: dir).status == 0)
        let back = try Self.run(["catalog", "import", xlsx], dataDir: dir)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stdout.contains("V1"))

        let bad = dir + "/bad.json"
        try Data(#"{"indicators":[{"code":"x"}]}"#.utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try Self.run(["catalog", "import", bad], dataDir: dir)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("bad.json"))
    }
}
