import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// Reads an uploaded catalog file by its content: a ZIP signature means XLSX, otherwise JSON.
enum CatalogImport {
    struct Failure: Error {
        let messages: [String]
    }

    static func parse(_ data: Data, filename: String) throws -> Catalog {
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            do {
                return try CatalogWorkbook.catalog(from: XLSX.read(data))
            } catch let p as CatalogWorkbook.Problems {
                throw Failure(messages: p.messages)
            } catch let e as XLSX.ReadError {
                throw Failure(messages: [e.description])
            }
        }
        do {
            return try JSONDecoder().decode(Catalog.self, from: data)
        } catch let e as DecodingError {
            throw Failure(messages: ["\(filename)：" + AppErrorMiddleware.describe(e)])
        } catch {
            throw Failure(messages: ["\(filename) 不是 .xlsx 或 JSON 格式的指标体系文件"])
        }
    }
}
