import ArgumentParser
import YingshangApp

struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a campaign (distance to frontier) and print the score table; the run is stored.")
    @Option(help: "Campaign id or exact name.") var campaign: String

    func run() async throws {
        try await runReportingErrors {
            for line in try await Runner.score(campaign: campaign) { print(line) }
        }
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the evaluation report of the latest scoring run (html, pdf via headless Chromium, or xlsx).")
    @Option(help: "Campaign id or exact name.") var campaign: String
    @Option(help: "html, pdf or xlsx.") var format = "html"
    @Option(help: "Output file.") var out: String
    @Option(help: "Assessed region name or id (default: the first).") var region: String?

    func run() async throws {
        try await runReportingErrors {
            print(try await Runner.report(campaign: campaign, region: region, format: format, out: out))
        }
    }
}
