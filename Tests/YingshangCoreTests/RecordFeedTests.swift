import Testing
@testable import YingshangCore

@Suite("Record feeds")
struct RecordFeedTests {
    let schema = RecordSchema.all[0]  // starting_business: steps, documents

    @Test("valid records become case records: fen kept exactly, counts by the schema's names, dates with a time accepted")
    func valid() throws {
        let r = RecordFeed.parse([
            FeedRecord(caseID: "KB-1", uscc: "91350100M000100Y43", appliedOn: "2022-03-01", completedOn: "2022-03-01 16:30", feeFen: 12_345, counts: ["steps": 3]),
            FeedRecord(caseID: "KB-2", uscc: "91350100M000100Y43", appliedOn: "2022-03-01", completedOn: "2022-03-04"),
        ], schema: schema)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.records.count == 2)
        #expect(r.records[0].feeFen == 12_345 && r.records[0].counts == ["steps": 3])
        #expect(r.records[0].completedOn == Day("2022-03-01"))
        #expect(r.records[1].feeFen == 0 && r.records[1].counts.isEmpty)
    }

    @Test("one bad record refuses the batch; each problem names its record by its index in the JSON")
    func invalid() {
        let good = FeedRecord(caseID: "A", uscc: "91350100M000100Y43", appliedOn: "2022-03-01", completedOn: "2022-03-02")
        var badDate = good
        badDate.caseID = "B"
        badDate.completedOn = "2022-02-28"
        var badCode = good
        badCode.caseID = "C"
        badCode.uscc = "91350100M000100Y44"
        var dup = good
        dup.completedOn = "2022-03-03"
        let r = RecordFeed.parse([good, badDate, badCode], schema: schema)
        #expect(r.records.isEmpty)
        #expect(r.problems.keys.sorted() == ["records[1]", "records[2]"])
        #expect(r.problems["records[1]"]?.contains("早于申请日期") == true)
        #expect(r.problems["records[2]"]?.contains("统一社会信用代码") == true)
        let d = RecordFeed.parse([good, dup], schema: schema)
        #expect(d.problems == ["records[1]": "办件编号“A”与 records[0] 重复"])
        let unknown = RecordFeed.parse([FeedRecord(caseID: "A", uscc: good.uscc, appliedOn: "2022-03-01", completedOn: "2022-03-02", feeFen: -1, counts: ["floors": 2])], schema: schema)
        #expect(unknown.problems["records[0]"]?.contains("feeFen") == true)
        #expect(unknown.problems["records[0]"]?.contains("floors 不是本指标的计数项") == true)
        #expect(RecordFeed.parse([], schema: schema).problems == ["records": "没有记录"])
        let many = Array(repeating: good, count: RecordFeed.maxRecords + 1)
        #expect(RecordFeed.parse(many, schema: schema).problems["records"]?.contains("分批") == true)
    }

    @Test("idempotency keys: letters, digits and -_.: up to 100 characters")
    func keys() {
        #expect(RecordFeed.isValidKey("2022-10-08T17:00:00.batch_1"))
        #expect(!RecordFeed.isValidKey(""))
        #expect(!RecordFeed.isValidKey(String(repeating: "a", count: 101)))
        #expect(!RecordFeed.isValidKey("批次1"))
        #expect(!RecordFeed.isValidKey("a b"))
    }
}
