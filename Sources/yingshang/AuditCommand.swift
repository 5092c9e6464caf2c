import ArgumentParser
import YingshangApp

extension Yingshang {
    struct AuditCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit", abstract: "The audit log (审计日志).", subcommands: [Verify.self])
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit log's hash chain; report the first altered, deleted or inserted entry (exit 1).")

        func run() async throws {
            let report = try await Runner.verifyAudit()
            if report.intact {
                print("审计日志完整 / audit log intact: \(report.count) 条记录 / entries；链头哈希 / head hash \(report.headHash)")
                print("请将链头哈希记录在系统之外（如月度审计报告），用于日后比对。")
            } else {
                printError("审计日志被篡改 / audit log tampered: \(report.message)")
                throw ExitCode.failure
            }
        }
    }
}
