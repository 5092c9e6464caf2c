import ArgumentParser
import YingshangApp

extension Yingshang {
    struct RoundCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "round", abstract: "Monitoring rounds (常态化监测) between annual evaluations.",
            subcommands: [Create.self, List.self])
    }
}

extension Yingshang.RoundCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a monthly or quarterly round of a campaign: its matrix, rules and thresholds; filing in working days after the period.")

        @Option(help: "Campaign id or exact name (the annual campaign).") var campaign: String
        @Option(help: "monthly or quarterly.") var period = "quarterly"
        @Option(help: "Year monitored (default: the campaign's).") var year: Int?
        @Option(help: "Round number: quarter 1–4 or month 1–12.") var number: Int
        @Option(help: "Indicator codes, comma-separated (default: all of the campaign's).") var indicators: String?
        @Option(help: "Filing window start, YYYY-MM-DD (with --filing-end; default: the first working day after the period).") var filingStart: String?
        @Option(help: "Filing window end, YYYY-MM-DD.") var filingEnd: String?
        @Option(help: "Username of the coordinator or administrator opening it (audited).") var by: String

        func run() async throws {
            try await runReportingErrors {
                print(try await Runner.createRound(
                    campaign: campaign, period: period, year: year, number: number,
                    indicators: indicators.map { $0.split(separator: ",").map(String.init) }, filingStart: filingStart, filingEnd: filingEnd, by: by))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a campaign's rounds and each region's overall score per round.")

        @Option(help: "Campaign id or exact name.") var campaign: String

        func run() async throws {
            var lines: [String] = []
            try await runReportingErrors { lines = try await Runner.listRounds(campaign: campaign) }
            lines.forEach { print($0) }
        }
    }
}
