import ArgumentParser
import YingshangApp

extension Yingshang {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the web server (runs pending migrations first unless --no-migrate).")

        @Option(help: "Address to listen on.") var hostname = "127.0.0.1"
        @Option(help: "Port to listen on.") var port = 8080
        @Flag(inversion: .prefixedNo, help: "Run pending database migrations before serving.") var migrate = true

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        }

        func run() async throws {
            try await runReportingErrors {
                try Runner.checkConfiguration()  // a bad setting is named before any start-up line
                print("营商环境考核评价平台: http://\(hostname):\(port)  (\(Runner.databaseDescription()); \(Runner.executorDescription))")
                try await Runner.serve(hostname: hostname, port: port, migrate: migrate)
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply database migrations (or revert them all).")

        @Flag(help: "Revert every migration (drops all data).") var revert = false
        @Flag(help: "Skip the confirmation prompt for --revert.") var yes = false

        func run() async throws {
            if revert && !yes {
                print("将删除所有数据表和数据。确认请输入 yes / This drops all tables. Type yes to confirm: ", terminator: "")
                guard readLine() == "yes" else {
                    print("已取消 / cancelled")
                    return
                }
            }
            try await runReportingErrors { try await Runner.migrate(revert: revert) }
            print(revert ? "已回滚全部迁移 / reverted" : "数据库已是最新 / migrations applied (\(Runner.databaseDescription()))")
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent copy of the SQLite database (PostgreSQL: use pg_dump).")

        @Option(help: "File to write; must not exist yet.") var out: String
        @Option(help: "Directory to copy the evidence files into (incremental: files already there are skipped).")
        var evidenceOut: String?

        func run() async throws {
            try await runReportingErrors {
                let n = try await Runner.backup(to: out, evidence: evidenceOut)
                print("备份完成 / backup written: \(out)")
                if let evidenceOut { print("印证资料已复制 \(n) 个文件 / evidence files copied: \(n) → \(evidenceOut)") }
            }
        }
    }
}
