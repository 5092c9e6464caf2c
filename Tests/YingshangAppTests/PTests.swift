import Testing
import VaporTesting
@testable import YingshangApp
@Test func p() { placeholder() }
