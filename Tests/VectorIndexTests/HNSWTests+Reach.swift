import Foundation
import Store
import TestSupport
import VectorIndex
import VectorMath
import XCTest

/// Every row of a built graph can be reached: a walk with `ef` at least the row count is exhaustive.
extension HNSWTests {
    /// Recommender-like embeddings (norms spread by popularity) linked by inner product leave
    /// small-norm rows without in-links unless the build links them back (`linkUnreachable`);
    /// then they could never be returned, whatever `ef`.
    func testEveryRowIsReachableSoAnExhaustiveWalkIsExact() throws {
        let catalog = try DemoCatalog(spec: DemoCatalogSpec(items: 3_000, users: 40, dimension: 32, seed: 5))
        let d = Dataset(data: catalog.itemVectors, queries: catalog.userVectors, dimension: 32)
        for int8 in [false, true] {
            try? FileManager.default.removeItem(atPath: path)
            let store = try makeStore(d, metric: .innerProduct)
            var p = fastParameters()
            p.int8 = int8
            p.linkUnreachable = true
            let index = try build(store, p)
            XCTAssertEqual(index.unreachableRowCount, 0)
            XCTAssertEqual(try recall(store, index, d, k: 600, ef: 3_000), 1, "int8 \(int8)")
            XCTAssertGreaterThanOrEqual(try recall(store, index, d, k: 10, ef: 64), 0.95, "int8 \(int8)")
        }
        // Without the linking pass the same graph leaves rows unreachable: an exhaustive walk misses them.
        try? FileManager.default.removeItem(atPath: path)
        let store = try makeStore(d, metric: .innerProduct)
        let plain = try build(store, fastParameters())
        XCTAssertGreaterThan(plain.unreachableRowCount, 100, "the default build leaves rows behind (and says so)")
        XCTAssertLessThan(try recall(store, plain, d, k: 600, ef: 3_000), 0.9)
    }
}
