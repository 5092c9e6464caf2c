import ArgumentParser
import YingshangApp

extension Yingshang {
    struct UserCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Manage user accounts.", subcommands: [Create.self, ResetPassword.self])
    }
}

/// Reads the password from stdin (first line) or generates one that is printed once.
func passwordFromStdinOrGenerated(_ fromStdin: Bool) -> (password: String, generated: Bool) {
    if fromStdin { return (readLine(strippingNewline: true) ?? "", false) }
    return (PasswordGenerator.make(), true)
}

extension Yingshang.UserCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user in a unit.")

        @Option(help: "Login name: 3–32 lowercase letters, digits, _ . -") var username: String
        @Option(help: "Role: admin, coordinator, leader, unit_head, filer, assessor.") var role: String
        @Option(help: "Code of the user's unit, e.g. SPJ.") var unit: String
        @Option(help: "Full name shown in the UI (default: the username).") var displayName: String?
        @Option(name: .customLong("region"), help: "Division code of a region the account is bound to (repeatable); none: the whole deployment.")
        var regions: [String] = []
        @Flag(help: "Read the password from the first line of standard input instead of generating one.")
        var passwordStdin = false

        func run() async throws {
            let (password, generated) = passwordFromStdinOrGenerated(passwordStdin)
            try await runReportingErrors {
                try await Runner.createUser(
                    username: username, displayName: displayName, role: role, unitCode: unit, regionCodes: regions, password: password)
            }
            print("已创建用户 / created user \(username)" + (generated ? "，初始密码 / password: \(password)" : ""))
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password", abstract: "Set a new password and clear a lockout.")

        @Option(help: "Login name of the user.") var username: String
        @Flag(help: "Read the password from the first line of standard input instead of generating one.")
        var passwordStdin = false

        func run() async throws {
            let (password, generated) = passwordFromStdinOrGenerated(passwordStdin)
            try await runReportingErrors { try await Runner.resetPassword(username: username, password: password) }
            print("已重置密码 / password reset for \(username)" + (generated ? ": \(password)" : ""))
        }
    }
}
