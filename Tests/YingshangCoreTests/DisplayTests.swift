import Testing
import YingshangCore

@Suite("Display: one formatter for numbers")
struct DisplayTests {
    @Test("fixed decimals, percents of shares and of counts, yuan from fen; missing values as —")
    func formats() {
        #expect(Display.fixed(87.5) == "87.50")
        #expect(Display.fixed(2.0 / 3.0, digits: 1) == "0.7")
        #expect(Display.fixed(nil) == "—")
        #expect(Display.fixed(.nan) == "—")
        #expect(Display.percent(0.5) == "50%")
        #expect(Display.percent(0.125, digits: 1) == "12.5%")
        #expect(Display.percent(nil) == "—")
        #expect(Display.percent(1, of: 3) == "33%")
        #expect(Display.percent(2, of: 3, digits: 1) == "66.7%")
        #expect(Display.percent(0, of: 0) == "—")
        #expect(Display.yuan(fen: 1230) == "12.30")
        #expect(Display.yuan(fen: 5) == "0.05")
        #expect(Display.yuan(fen: -101) == "-1.01")
        #expect(Scoring.fmt2(100) == "100.00")
    }
}
