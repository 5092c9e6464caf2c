import ArgumentParser
import YingshangApp

extension Yingshang {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load the demo county (idempotent) and print the demo logins; --serve then starts the server.")

        @Option(help: "Password for every demo user (default: generated for new users).") var password: String?
        @Flag(help: "Start the web server after loading.") var serve = false
        @Option(help: "Enterprises in the demo register (企业全量名单).") var registerSize = 20000
        @Option(help: "Address to listen on with --serve.") var hostname = "127.0.0.1"
        @Option(help: "Port to listen on with --serve.") var port = 8080

        func run() async throws {
            try await runReportingErrors {
                let result = try await Runner.demo(password: password, registerSize: registerSize)
                print("演示数据已就绪（新增 \(result.created) 条记录，\(Runner.databaseDescription())）")
                print("Demo county 青山县 loaded (\(result.created) new records).\n")
                print("演示账号 / demo logins:")
                for login in result.logins {
                    let pw = login.password ?? "（未修改，沿用之前的密码 / unchanged）"
                    print("  \(login.username.padding(toLength: 12, withPad: " ", startingAt: 0)) \(pw)   \(login.roleName) · \(login.unitName)")
                }
                if serve {
                    print("\n打开 / open: http://\(hostname):\(port)/login  (\(Runner.executorDescription))\n")
                    try await Runner.serve(hostname: hostname, port: port, migrate: true)
                }
            }
        }
    }
}
