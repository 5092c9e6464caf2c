import ArgumentParser
import YingshangApp

@main
struct Yingshang: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yingshang",
        abstract: "营商环境考核评价平台 (Yingshang): county business-environment assessment platform.",
        discussion: """
            Data lives in SQLite at $YINGSHANG_DATA_DIR/yingshang.sqlite (default data/), or in PostgreSQL when \
            DATABASE_URL=postgres://... is set.
            """,
        subcommands: [Serve.self, Migrate.self, Demo.self, CatalogCommand.self, Enterprises.self, Sample.self, Survey.self, UserCommand.self, AuditCommand.self, Backup.self, Bench.self, Score.self, Report.self, BenchIntegrity.self, FeedCommand.self, RoundCommand.self, BenchProvince.self]
    )

    /// As ArgumentParser's own `main`, except that `serve` (and `demo --serve`) first moves Swift concurrency onto the
    /// event loops (`Runner.adoptEventLoopsAsExecutor`), which must happen here: on the main thread, before any task.
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "serve" || (arguments.first == "demo" && arguments.contains("--serve")) {
            Runner.adoptEventLoopsAsExecutor()
        }
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Errors from the app are printed as they are (Chinese first) with exit code 1.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CustomStringConvertible {
        printError("错误 / error: \(error.description)")
        throw ExitCode.failure
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleWriter.writeStderr(string)
    }
}
