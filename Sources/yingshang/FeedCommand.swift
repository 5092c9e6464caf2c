import ArgumentParser
import YingshangApp

extension Yingshang {
    struct FeedCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feed", abstract: "Data feed keys for departments' systems (业务数据接口).",
            subcommands: [Issue.self, List.self, Revoke.self])
    }
}

extension Yingshang.FeedCommand {
    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a key for one indicator in one region; the key is printed once.")

        @Option(help: "Campaign id or exact name.") var campaign: String
        @Option(help: "Assessed region: code, name or id.") var region: String
        @Option(help: "Indicator code with a record template, e.g. starting_business.") var indicator: String
        @Option(help: "The system that pushes with the key, e.g. 县政务服务中心一网通办系统.") var name: String
        @Option(help: "Username of the coordinator or administrator issuing it (audited).") var by: String

        func run() async throws {
            var key = ""
            try await runReportingErrors {
                key = try await Runner.issueFeedKey(campaign: campaign, region: region, indicator: indicator, name: name, by: by)
            }
            print(key)
            printError("已生成数据接口密钥（只显示这一次，平台只保存摘要）/ key issued, shown once")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a campaign's keys (their first characters only).")

        @Option(help: "Campaign id or exact name.") var campaign: String

        func run() async throws {
            var lines: [String] = []
            try await runReportingErrors { lines = try await Runner.feedKeys(campaign: campaign) }
            lines.forEach { print($0) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: everything pushed with it afterwards is refused.")

        @Option(help: "Campaign id or exact name.") var campaign: String
        @Option(help: "The key's first characters as `feed list` shows them (at least 8).") var prefix: String
        @Option(help: "Username of the coordinator or administrator revoking it (audited).") var by: String

        func run() async throws {
            var name = ""
            try await runReportingErrors { name = try await Runner.revokeFeedKey(campaign: campaign, prefix: prefix, by: by) }
            print("已停用 / revoked: \(name)")
        }
    }
}
