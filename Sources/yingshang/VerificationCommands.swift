import ArgumentParser
import YingshangApp

extension Yingshang {
    struct Enterprises: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enterprise register (企业全量名单).", subcommands: [ImportEnterprises.self, GenerateRegister.self])
    }

    struct Survey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enterprise surveys.", subcommands: [Tokens.self])
    }

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stratified sampling of enterprises.", subcommands: [Draw.self])
    }
}

extension Yingshang.Enterprises {
    struct GenerateRegister: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a synthetic register CSV of the demo county (for benchmarks: docs/benchmarks.md).")

        @Option(help: "Rows to write.") var rows = 1_000_000
        @Option(help: "Seed: the same rows and seed give the same file.") var seed: UInt64 = 7
        @Option(help: "Output file.") var out: String

        func validate() throws {
            guard rows > 0 else { throw ValidationError("--rows 必须大于 0") }
        }

        func run() async throws {
            try await runReportingErrors {
                try Runner.generateRegister(rows: rows, seed: seed, to: out)
                print("已写入 \(rows) 行到 \(out)")
            }
        }
    }

    struct ImportEnterprises: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import a CSV (UTF-8 or GB18030) or XLSX register; all-or-nothing unless --skip-invalid.")

        @Argument(help: "The .csv or .xlsx file.") var file: String
        @Option(help: "Campaign id or exact name.") var campaign: String
        @Flag(help: "Store the valid rows and report the invalid ones.") var skipInvalid = false
        @Option(help: "Write the errors as CSV to this file.") var errorReport: String?

        func run() async throws {
            try await runReportingErrors {
                let result = try await Runner.importEnterprises(
                    file: file, campaign: campaign, skipInvalid: skipInvalid, errorReport: errorReport,
                    progress: { done, total in FileHandleWriter.writeStderr("\r导入进度 \(done)/\(total)") })
                FileHandleWriter.writeStderr("\n")
                for p in result.problems.prefix(50) { printError(p) }
                if result.problems.count > 50 { printError("……（只列出前 50 处；--error-report 写出前 1000 处）") }
                if !result.stored {
                    printError(result.summary + "（可用 --skip-invalid 只导入正确的行）")
                    throw ExitCode.failure
                }
                print(result.summary)
            }
        }
    }
}

extension Yingshang.Sample {
    struct Draw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Draw a reproducible stratified sample; prints the allocation table and the draw id.")

        @Option(help: "Campaign id or exact name.") var campaign: String
        @Option(help: "Sample size n.") var size: Int
        @Option(help: "Strata: any of township,industry,size.") var strata = "township"
        @Option(help: "Random seed; the same inputs and seed give the same sample.") var seed: UInt64
        @Option(help: "proportional, neyman or equal.") var allocation = "proportional"
        @Option(help: "Minimum sample per stratum (capped at its size).") var minPerStratum = 0
        @Option(help: "Reserve list size as a share of each stratum's sample, e.g. 0.2.") var reserveRatio = 0.0
        @Option(help: "Neyman: a CSV of 层,标准差 (S_h) per stratum; names as the allocation table shows them (城关街道 × C × 中型).")
        var sd: String?
        @Option(help: "Neyman: take S_h per stratum from this numeric register column (e.g. 从业人员); --sd entries win.")
        var sdColumn: String?

        func validate() throws {
            guard size > 0 else { throw ValidationError("--size must be a positive integer") }
        }

        func run() async throws {
            try await runReportingErrors {
                let result = try await Runner.drawSample(
                    campaign: campaign, size: size, strata: strata.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                    seed: seed, allocation: allocation, minPerStratum: minPerStratum, reserveRatio: reserveRatio, sdFile: sd, sdColumn: sdColumn)
                for line in result.table { print(line) }
                print("draw id: \(result.id)")
            }
        }
    }
}

extension Yingshang.Survey {
    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the survey links of a draw (issued in the web UI, or here with --issue).")

        @Option(help: "Draw id.") var draw: String
        @Option(help: "CSV file to write.") var out: String
        @Option(help: "Public address of the platform, used in the links (default: YINGSHANG_PUBLIC_URL, else http://127.0.0.1:8080).")
        var baseURL: String?
        @Flag(help: "Issue links to sampled enterprises that have none yet (locks the draw).") var issue = false

        func run() async throws {
            try await runReportingErrors {
                let n = try await Runner.surveyTokens(draw: draw, out: out, baseURL: baseURL, issue: issue)
                print("已写出 \(n) 个问卷链接：\(out)")
            }
        }
    }
}
