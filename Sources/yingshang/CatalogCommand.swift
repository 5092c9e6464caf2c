import ArgumentParser
import YingshangApp

extension Yingshang {
    struct CatalogCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catalog", abstract: "Manage the indicator catalog (指标体系).",
            subcommands: [LoadNational.self, AddBReady.self, Export.self, Import.self])
    }
}

extension Yingshang.CatalogCommand {
    struct LoadNational: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load-national",
            abstract: "Load the 18 national indicators; a version in use by a campaign is kept and a new one created.")

        func run() async throws {
            try await runReportingErrors {
                let (number, isNew) = try await Runner.loadNationalCatalog()
                print(isNew ? "已载入国家指标体系，版本 V\(number)" : "国家指标体系已是当前版本 V\(number)")
            }
        }
    }

    struct AddBReady: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-bready",
            abstract: "Add the B-READY-style template's ten topics (three pillars each) beside the current indicators.")

        func run() async throws {
            try await runReportingErrors {
                let (number, isNew) = try await Runner.addBReadyCatalog()
                print(isNew ? "已加入 B-READY 式模板，指标体系版本 V\(number)" : "B-READY 式模板已在当前指标体系 V\(number) 中")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the current catalog to a .json or .xlsx file.")

        @Option(help: "Output file; .xlsx writes a workbook, anything else JSON.") var out: String

        func run() async throws {
            try await runReportingErrors {
                let number = try await Runner.exportCatalog(to: out)
                print("已导出指标体系 V\(number)：\(out)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a catalog from .json or .xlsx (all-or-nothing; errors name sheet, row and column).")

        @Argument(help: "The .json or .xlsx file.") var file: String

        func run() async throws {
            try await runReportingErrors {
                let (number, isNew) = try await Runner.importCatalog(from: file)
                print(isNew ? "已导入，生成新版本 V\(number)" : "已导入（V\(number)）")
            }
        }
    }
}

extension Yingshang {
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-seed",
            abstract: "Load the demo and a large campaign for the dispatch benchmark (docs/benchmarks.md).")

        @Option(help: "Units in the county (extra benchmark units are created).") var units = 60
        @Option(help: "Filing tasks to create.") var tasks = 2000
        @Option(help: "Random seed for task statuses.") var seed: UInt64 = 42
        @Option(help: "Password for the demo users.") var password = "demo12345"
        @Option(help: "Synthetic enterprises to add to the benchmark campaign's register (for the draw benchmark).")
        var enterprises = 0

        func run() async throws {
            try await runReportingErrors {
                let (id, _) = try await Runner.seedBenchmark(
                    units: units, tasks: tasks, seed: seed, password: password, enterprises: enterprises)
                print(id)
            }
        }
    }
}

extension Yingshang {
    struct BenchProvince: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-province",
            abstract: "Load a synthetic province (counties with registers) on PostgreSQL for scripts/bench-province.sh; prints the measured county's campaign.")

        @Option(help: "Counties besides the measured one, each with its own campaign and register.") var counties = 100
        @Option(help: "Enterprises in each county's register.") var rows = 300_000

        func run() async throws {
            try await runReportingErrors { print(try await Runner.seedProvince(counties: counties, rows: rows)) }
        }
    }
}
