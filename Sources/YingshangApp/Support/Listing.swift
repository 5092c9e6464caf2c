import Fluent
import Vapor

/// Search text and page from `?q=&page=&per=`, with safe bounds.
struct ListQuery {
    let q: String
    let page: Int
    let per: Int

    init(page: Int, per: Int, q: String = "") {
        self.q = q
        self.page = page
        self.per = per
    }

    init(_ req: Request, defaultPer: Int = 20) {
        q = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        // Capped as the API caps it: a page number typed into an address (up to Int.max) made the offset overflow,
        // which stops the process.
        page = min(APIContractMiddleware.maxPage, max(1, req.query[Int.self, at: "page"] ?? 1))
        per = min(200, max(1, req.query[Int.self, at: "per"] ?? defaultPer))
    }

    var pageRequest: PageRequest { PageRequest(page: page, per: per) }
}

/// An API page of results.
struct Listing<Item: Content>: Content {
    let items: [Item]
    let page: Int
    let per: Int
    let total: Int
}

/// Pager links for list pages, keeping the search text.
struct Pager: Encodable {
    let page: Int
    let pages: Int
    let total: Int
    let prevHref: String?
    let nextHref: String?

    init(metadata: PageMetadata, basePath: String, extra: [String: String] = [:]) {
        page = metadata.page
        pages = max(1, metadata.pageCount)
        total = metadata.total
        func href(_ p: Int) -> String {
            var items = extra.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
                .map { URLQueryItem(name: $0.key, value: $0.value) }
            items.append(URLQueryItem(name: "page", value: String(p)))
            var c = URLComponents()
            c.path = basePath
            c.queryItems = items
            return c.string ?? basePath
        }
        prevHref = metadata.page > 1 ? href(metadata.page - 1) : nil
        nextHref = metadata.page < metadata.pageCount ? href(metadata.page + 1) : nil
    }
}

extension String {
    /// Nil for blank form fields.
    var nonBlank: String? {
        let t = trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }
}

extension Optional where Wrapped == String {
    var trimmed: String { (self ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
}

extension Request {
    /// Parses a UUID route parameter; an unparseable id is a 404, like a missing record.
    func uuidParameter(_ name: String = "id") throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else { throw AppError.notFound() }
        return id
    }
}
