import Foundation
@testable import Ranking
import Store
import XCTest

final class RankingModelTests: XCTestCase {
    var dir = TemporaryDirectory()

    override func setUp() { dir = TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    let sample = RankingModel(
        output: .logistic, bias: -1.25,
        features: [
            RankingModel.Term(name: "cross.embedding_score", mean: 1, scale: 2, weight: 0.5),
            RankingModel.Term(name: "item.popularity", mean: 0.4, scale: 0.1, weight: 0.123456789012345, defaultValue: 0.2),
            RankingModel.Term(name: "item.categories=a", weight: -3e-7),
        ],
        crosses: [RankingModel.Cross(a: "cross.embedding_score", b: "item.popularity", weight: 0.1)],
        metadata: ["note": "hand \"written\"", "auc": "0.7"])

    func decode(_ json: String) throws -> RankingModel { try RankingModel.decode(Data(json.utf8), path: "m.json") }

    func assertError(_ json: String, _ expected: RankingError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(json), file: file, line: line) { error in
            XCTAssertEqual(error as? RankingError, expected, file: file, line: line)
        }
    }

    func testRoundTripThroughAFile() throws {
        let path = dir.file("model.json")
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        try sample.write(to: path)
        XCTAssertEqual(try RankingModel.load(path: path), sample)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssert(text.contains("\"format\": \"annserver.ranking-model\""))
        XCTAssert(text.contains("\"version\": 1"))
    }

    func testMinimalModelTakesDefaults() throws {
        let model = try decode(#"{"version": 1, "features": [{"name": "item.popularity", "weight": 2}]}"#)
        XCTAssertEqual(model, RankingModel(output: .linear, bias: 0, features: [RankingModel.Term(name: "item.popularity", mean: 0, scale: 1, weight: 2)]))
    }

    func testVersionAndFieldErrorsNameTheField() {
        assertError(#"{"version": 2, "features": []}"#, .unsupportedModelVersion(path: "m.json", got: 2, supported: 1))
        assertError(#"{"features": []}"#, .modelField(path: "m.json", field: "version", problem: "missing (this build reads version 1)"))
        assertError(#"{"version": "1", "features": []}"#, .modelField(path: "m.json", field: "version", problem: "expected an integer, got \"1\""))
        assertError(#"{"version": 1, "format": "other", "features": []}"#,
                    .modelField(path: "m.json", field: "format", problem: "expected \"annserver.ranking-model\", got \"other\""))
        assertError(#"{"version": 1, "features": [{"name": "a", "weight": 1}, {"name": "b"}]}"#,
                    .modelField(path: "m.json", field: "features[1].weight", problem: "missing (expected a number)"))
        assertError(#"{"version": 1, "features": [{"name": "a", "weight": true}]}"#,
                    .modelField(path: "m.json", field: "features[0].weight", problem: "expected a number, got true"))
        assertError(#"{"version": 1, "features": [{"name": "a", "weight": 1, "scale": 0}]}"#,
                    .modelField(path: "m.json", field: "features[0].scale", problem: "expected a finite number > 0, got 0.0"))
        assertError(#"{"version": 1, "features": [{"name": "a", "weigth": 1}]}"#,
                    .modelField(path: "m.json", field: "features[0].weigth", problem: "unknown field (expected one of default, mean, name, scale, weight)"))
        assertError(#"{"version": 1, "features": [{"name": "a", "weight": 1}], "crosses": [{"a": "a", "b": "z", "weight": 1}]}"#,
                    .modelField(path: "m.json", field: "crosses[0].b",
                                problem: "'z' is not one of the model's features (list it under 'features', weight 0 if need be)"))
        assertError(#"{"version": 1, "features": [{"name": "a", "weight": 1}, {"name": "a", "weight": 2}]}"#,
                    .modelField(path: "m.json", field: "features[1].name", problem: "feature 'a' is listed twice"))
        assertError(#"{"version": 1, "output": "softmax", "features": []}"#,
                    .modelField(path: "m.json", field: "output", problem: "expected \"linear\", \"logistic\" or \"choice\", got \"softmax\""))
        assertError("[1, 2]", .modelUnreadable(path: "m.json", reason: "expected a JSON object at the top level"))
        assertError("{\"version\": 1,", .modelUnreadable(path: "m.json", reason: "not valid JSON"))
        XCTAssertThrowsError(try RankingModel.load(path: dir.file("absent.json"))) {
            guard case .modelUnreadable(let path, _)? = $0 as? RankingError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, self.dir.file("absent.json"))
        }
    }

    func testUnknownFeatureIsRejectedWhenBound() throws {
        let store = try TestStores.tiny(at: dir.path)
        let catalog = try store.read { try ItemCatalog.load($0) }
        func bind(_ name: String) throws { _ = try Scorer(model: RankingModel(features: [.init(name: "item.popularity", weight: 1), .init(name: name, weight: 1)]), catalog: catalog, path: "m.json") }
        XCTAssertThrowsError(try bind("item.colour")) {
            XCTAssertEqual($0 as? RankingError, .unknownFeature(path: "m.json", field: "features[1].name", name: "item.colour",
                                                               reason: "the store has no numeric item column 'colour' and it is not a built-in feature"))
        }
        XCTAssertThrowsError(try bind("item.categories=zz")) {
            XCTAssertEqual($0 as? RankingError, .unknownFeature(path: "m.json", field: "features[1].name", name: "item.categories=zz",
                                                               reason: "item column 'categories' never had the label 'zz'"))
        }
        XCTAssertThrowsError(try bind("user.segment=s9")) {
            XCTAssertEqual($0 as? RankingError, .unknownFeature(path: "m.json", field: "features[1].name", name: "user.segment=s9",
                                                               reason: "user column 'segment' never had the label 's9'"))
        }
        XCTAssertThrowsError(try bind("popularity")) {
            guard case .unknownFeature(_, "features[1].name", "popularity", let reason)? = $0 as? RankingError else { return XCTFail("\($0)") }
            XCTAssert(reason.hasPrefix("expected a built-in feature"), reason)
        }
        XCTAssertNoThrow(try bind("user.activity"))
        XCTAssertNoThrow(try bind("context.country=fr"))
    }

    func testScoresMatchTheFormula() throws {
        let store = try TestStores.tiny(at: dir.path)
        let recommender = try Recommender(store: store, model: sample)
        let got = try store.read { try recommender.makeRanker().scores($0, userRow: 0, items: [3, 4, 5], context: RequestContext(time: TestStores.now)) }
        // Raw (embedding, popularity, label a): 103 (-2, 0.3, 0), 104 (0.5, 0.7, 1), 105 (0.5, missing -> 0.2, 0).
        func expected(_ e: Double, _ p: Double, _ a: Double) -> Float {
            let ze = (e - 1) / 2, zp = (p - 0.4) / 0.1
            let z = -1.25 + 0.5 * ze + 0.123456789012345 * zp - 3e-7 * a + 0.1 * ze * zp
            return Float(1 / (1 + exp(-z)))
        }
        let want = [expected(-2, 0.3, 0), expected(0.5, 0.7, 1), expected(0.5, 0.2, 0)]
        for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 1e-5) }
    }
}
