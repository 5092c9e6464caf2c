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

struct BenchIntegrity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-integrity",
        abstract: "Plant falsifications in synthetic counties and report how many the verification checks find (docs/benchmarks.md).")
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Synthetic counties.") var counties = 50
    @Option(help: "Share of cases carrying a planted falsification.") var plantRate = 0.2

    func run() async throws {
        for line in Runner.integrityBenchmark(seed: seed, counties: counties, plantRate: plantRate) { print(line) }
    }
}
