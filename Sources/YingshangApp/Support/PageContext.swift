import Fluent
import Leaf
import LeafKit
import PostgresKit
import Vapor
import YingshangCore

struct NavItem: Encodable {
    let label: String
    let href: String?
    let active: Bool
    let soon: Bool
}

struct UserBadge: Encodable {
    let displayName: String
    let username: String
    let roleName: String
    let unitName: String
}

struct Flash: Encodable {
    let kind: String
    let message: String
}

/// What every page's layout needs: language, user, navigation, CSRF token and the flash message.
struct Layout: Encodable {
    let lang: String
    let title: String
    let user: UserBadge?
    let nav: [NavItem]
    var csrf: String
    /// This response's Content-Security-Policy nonce, for the page's own `<script nonce>`.
    var nonce: String
    /// The current page in the other language: the path and query kept, only `lang` replaced.
    let langHref: String
    let flash: Flash?
    let t: LayoutStrings
    let unreadNotifications: Int
    /// Where the page sits: 首页 › the section in the sidebar › this page (empty on the home page and section pages).
    let crumbs: [Crumb]
}

/// The layout's words in one language, turned into Leaf's form once per process (they were re-encoded on every page).
struct LayoutStrings: Encodable, LeafDataRepresentable, Sendable {
    let values: [String: String]
    let leafData: LeafData

    private init(_ values: [String: String]) {
        self.values = values
        leafData = .dictionary(values.mapValues(LeafData.string))
    }

    private static let zh = LayoutStrings(L10n.strings(.zh))
    private static let en = LayoutStrings(L10n.strings(.en))

    static func of(_ lang: Locale2) -> LayoutStrings { lang == .en ? en : zh }

    func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
}

struct Crumb: Encodable {
    let label: String
    let href: String
}

/// A rendered page: the shared layout plus the page's own data.
struct Page<Body: Encodable>: Encodable {
    let layout: Layout
    let body: Body
}

struct Empty: Encodable {}

extension Request {
    /// Builds the layout for the signed-in user (or the anonymous login page) and consumes the flash message.
    func layout(title: String, path: String? = nil) async throws -> Layout {
        let lang = Locale2.current(self)
        let t = L10n.strings(lang)
        var badge: UserBadge? = nil
        var nav: [NavItem] = []
        var unread = 0
        if let user = auth.get(User.self), let role = user.userRole {
            let read = try await layoutRead(of: user)
            if let read { storage[LayoutRevision.self] = read.revision }
            badge = UserBadge(
                displayName: user.displayName, username: user.username, roleName: L10n.roleName(role, lang),
                unitName: read?.unitName ?? "")
            nav = Navigation.items(for: role, current: path ?? url.path, t: t)
            unread = read?.unread ?? 0
        }
        var flash: Flash? = nil
        if hasSession, let raw = session.data["flash"] {
            session.data["flash"] = nil
            let parts = raw.split(separator: "|", maxSplits: 1).map(String.init)
            if parts.count == 2 { flash = Flash(kind: parts[0], message: parts[1]) }
        }
        return Layout(
            lang: lang.rawValue, title: title, user: badge, nav: nav, csrf: CSRF.token(for: self), nonce: cspNonce,
            langHref: Self.switchLanguageHref(path: url.path, query: url.query, to: t["switch_lang_code"] ?? "en"), flash: flash, t: LayoutStrings.of(lang),
            unreadNotifications: unread, crumbs: Navigation.crumbs(nav: nav, path: path ?? url.path, home: t["home"] ?? "首页"))
    }

    private struct LayoutRevision: StorageKey { typealias Value = Int }

    /// The unit's name, the unread count and the audit revision: every signed-in page shows the first two, and the
    /// pages cached under the revision (the home page) need the third. A GET takes them as read with its session
    /// (`SignedInRead`); any other request may have changed them since, and a bearer request has no session, so
    /// those read them now, in one statement.
    private func layoutRead(of user: User) async throws -> SignedInRead.LayoutRead? {
        let userID = user.id ?? UUID()
        if method == .GET || method == .HEAD, let layout = SignedInRead.account(userID, of: self)?.layout { return layout }
        let row: (any SQLRow)?
        if let rows = try await PreparedStatements.rows(LayoutStatement(unit: user.$unit.id, user: userID), on: db) {
            row = rows.first
        } else {
            row = try await db.sql().raw("""
                SELECT (SELECT name FROM \(ident: Unit.schema) WHERE id = \(bind: user.$unit.id)) AS unit,
                (SELECT COUNT(*) FROM \(ident: InAppNotification.schema) WHERE user_id = \(bind: userID) AND read_at IS NULL) AS unread,
                \(AuditLog.revisionExpression) AS revision
                """).first()
        }
        guard let row else { return nil }
        return SignedInRead.LayoutRead(
            unitName: try row.decode(column: "unit", as: String?.self) ?? "", unread: try row.decode(column: "unread", as: Int.self),
            revision: try row.decode(column: "revision", as: Int.self))
    }

    /// The layout's statement on PostgreSQL, prepared once per connection (`PreparedRead`).
    private struct LayoutStatement: PreparedRead {
        static let name = "yingshang_layout"
        static let sql = """
            SELECT (SELECT name FROM \(Unit.schema) WHERE id = $1) AS unit,
            (SELECT COUNT(*) FROM \(InAppNotification.schema) WHERE user_id = $2 AND read_at IS NULL) AS unread,
            \(AuditLog.revisionSQL) AS revision
            """
        let unit: UUID
        let user: UUID
        func makeBindings() throws -> PostgresBindings { try .of(unit, user) }
    }

    /// The audit revision (`AuditLog.revision`) as this request's layout read it, or read now.
    func auditRevision() async throws -> Int {
        if let revision = storage[LayoutRevision.self] { return revision }
        return try await AuditLog.revision(on: db)
    }

    /// `?lang=` added to the current address; the other query items (filters, pages, explanations) kept.
    static func switchLanguageHref(path: String, query: String?, to code: String) -> String {
        var items = URLComponents(string: "?" + (query ?? ""))?.queryItems ?? []
        items.removeAll { $0.name == "lang" }
        items.append(URLQueryItem(name: "lang", value: code))
        var parts = URLComponents()
        parts.queryItems = items
        return path + "?" + (parts.percentEncodedQuery ?? "lang=\(code)")
    }

    func render<B: Encodable>(_ template: String, title: String, _ body: B) async throws -> View {
        try await view.render(template, Page(layout: layout(title: title), body: body))
    }

    func setFlash(_ message: String, kind: String = "success") {
        session.data["flash"] = "\(kind)|\(message)"
    }
}

/// Left navigation by role; only the sections the role may open.
enum Navigation {
    /// Home › section › (this page): shown on pages below a section, so a deep page (an explanation, a flag, a draw)
    /// says where it belongs and leads back.
    static func crumbs(nav: [NavItem], path: String, home: String) -> [Crumb] {
        guard path != "/", let section = nav.first(where: { $0.active }), let href = section.href, href != "/", href != path else { return [] }
        return [Crumb(label: home, href: "/"), Crumb(label: section.label, href: href)]
    }

    static func items(for role: Role, current: String, t: [String: String]) -> [NavItem] {
        func link(_ key: String, _ href: String, _ action: Action) -> NavItem? {
            guard Permissions.allows(role, action) else { return nil }
            let active = href == "/" ? current == "/" : current.hasPrefix(href)
            return NavItem(label: t[key] ?? key, href: href, active: active, soon: false)
        }
        return [
            link("home", "/", .viewHome),
            link("indicators", "/catalog", .viewCatalog),
            link("campaigns", "/campaigns", .viewCampaigns),
            link("dispatch", "/dispatch", .viewDispatch),
            link("calendar", "/calendar", .manageCalendar),
            link(role.isUnitScoped ? "filings" : "review", "/filings", .viewFilings),
            link("questions", "/questions", .viewQuestions),
            link("notifications", "/notifications", .viewNotifications),
            link("verification", "/verification", .viewRegister),
            link("scoring", "/scores", .viewScores),
            link("rectification", "/rectifications", .viewRectifications),
            link("library", "/library", .viewLibrary),
            link("regions", "/regions", .viewRegions),
            link("units", "/units", .viewUnits),
            link("users", "/users", .viewUsers),
            link("security_policy", "/security-policy", .manageSecurityPolicy),
            link("audit", "/audit", .viewAudit),
            link("change_password", "/account/password", .changeOwnPassword),
        ].compactMap { $0 }
    }
}

/// A page that explains why something cannot be shown yet and where to go instead (never a dead end).
struct NoticePage: Encodable {
    struct Link: Encodable {
        let href: String
        let label: String
    }
    let heading: String
    let message: String
    let links: [Link]
}
