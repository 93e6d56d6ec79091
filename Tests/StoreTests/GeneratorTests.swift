import Foundation
import Store
import TestSupport
import VectorMath
import XCTest

final class GeneratorTests: XCTestCase {
    // MARK: SeededRandom, ZipfDistribution

    func testXoshiroMatchesReferenceOutputs() {
        // Reference xoshiro256** from state {1, 2, 3, 4}.
        var rng = SeededRandom(state: (1, 2, 3, 4))
        XCTAssertEqual((0..<4).map { _ in rng.next() }, [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    func testSeededRandomIsReproducibleAndInRange() {
        var a = SeededRandom(seed: 99)
        var b = SeededRandom(seed: 99)
        var c = SeededRandom(seed: 100)
        let sa = (0..<64).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<64).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<64).map { _ in c.next() })
        var s1 = SeededRandom(seed: 5, stream: 1)
        var s2 = SeededRandom(seed: 5, stream: 2)
        XCTAssertNotEqual(s1.next(), s2.next())

        var rng = SeededRandom(seed: 1)
        var buckets = [Int](repeating: 0, count: 10)
        var sum = 0.0
        var sumSquares = 0.0
        let draws = 100_000
        for _ in 0..<draws {
            let f = rng.nextFloat()
            XCTAssert(f >= 0 && f < 1)
            let k = rng.next(below: 10)
            XCTAssert((0..<10).contains(k))
            buckets[k] += 1
            let g = rng.nextGaussian()
            sum += g
            sumSquares += g * g
        }
        for count in buckets { XCTAssertEqual(Double(count), Double(draws) / 10, accuracy: Double(draws) / 100) }
        XCTAssertEqual(sum / Double(draws), 0, accuracy: 0.02)
        XCTAssertEqual(sumSquares / Double(draws), 1, accuracy: 0.03)
    }

    func testPermutationAndSampleAreDistinct() {
        let p = SeededRandom.permutation(count: 1000, seed: 3)
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertNotEqual(p, Array(0..<1000))
        XCTAssertEqual(p, SeededRandom.permutation(count: 1000, seed: 3))
        var rng = SeededRandom(seed: 4)
        for (count, range) in [(10, 1_000_000), (300, 400), (50, 50), (60, 50)] {
            let s = rng.sample(count, from: range)
            XCTAssertEqual(s.count, min(count, range))
            XCTAssertEqual(Set(s).count, s.count)
            XCTAssert(s.allSatisfy { (0..<range).contains($0) })
        }
    }

    func testZipfFrequenciesFollowWeights() {
        let zipf = ZipfDistribution(weights: [4, 0, 2, 1, 1])
        var rng = SeededRandom(seed: 8)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<80_000 { counts[zipf.sample(using: &rng)] += 1 }
        XCTAssertEqual(counts[1], 0)
        for (count, expected) in zip(counts, [40_000.0, 0, 20_000, 10_000, 10_000]) {
            XCTAssertEqual(Double(count), expected, accuracy: 800)
        }
        let ranks = ZipfDistribution(count: 100, exponent: 1)
        XCTAssertEqual(ranks.probabilities[0] / ranks.probabilities[9], 10, accuracy: 1e-9)
    }

    // MARK: ClusteredEmbeddings

    func testClusteredSameSeedIsByteIdenticalAndOtherSeedDiffers() throws {
        let spec = ClusteredSpec(count: 3000, dimension: 24, seed: 11)
        let a = try ClusteredEmbeddings(spec: spec).generate()
        let b = try ClusteredEmbeddings(spec: spec).generate()
        XCTAssertEqual(a.count, 3000 * 24)
        XCTAssert(bytes(a) == bytes(b))
        var other = spec
        other.seed = 12
        XCTAssert(bytes(a) != bytes(try ClusteredEmbeddings(spec: other).generate()))
    }

    func testChunksRangesAndClustersAgreeWithWholeGeneration() throws {
        let e = try ClusteredEmbeddings(spec: ClusteredSpec(count: 2000, dimension: 10, clusters: 30, seed: 21))
        let whole = e.generate()
        var streamed: [Float] = []
        var ranges: [Range<Int>] = []
        e.forEachChunk(rowsPerChunk: 333) { rows, values in
            ranges.append(rows)
            streamed += values
        }
        XCTAssertEqual(ranges.first, 0..<333)
        XCTAssertEqual(ranges.last, 1998..<2000)
        XCTAssert(bytes(whole) == bytes(streamed))

        var part = [Float](repeating: 0, count: 700 * 10)
        var partClusters = [UInt32](repeating: 0, count: 700)
        part.withUnsafeMutableBufferPointer { v in
            partClusters.withUnsafeMutableBufferPointer { c in e.generate(rows: 1000..<1700, into: v, clusters: c) }
        }
        XCTAssert(bytes(part) == bytes(Array(whole[10_000..<17_000])))
        let assignments = e.clusterAssignments()
        XCTAssertEqual(partClusters, Array(assignments[1000..<1700]))
        XCTAssertEqual(assignments[1234], UInt32(e.cluster(ofRow: 1234)))
        XCTAssert(assignments.allSatisfy { $0 < 30 })
    }

    func testQueriesComeFromTheirOwnSeed() throws {
        let e = try ClusteredEmbeddings(spec: ClusteredSpec(count: 100, dimension: 8, seed: 5))
        let q = e.queries(count: 50, seed: 5)
        XCTAssert(bytes(q) == bytes(e.queries(count: 50, seed: 5)))
        XCTAssert(bytes(q) != bytes(e.queries(count: 50, seed: 6)))
        XCTAssert(bytes(q) != bytes(Array(e.generate()[0..<400])))
    }

    func testClusterSizesAreSkewed() throws {
        let e = try ClusteredEmbeddings(spec: ClusteredSpec(count: 20_000, dimension: 8, seed: 2))
        XCTAssertEqual(e.spec.clusters, 141)
        var sizes = [Int](repeating: 0, count: e.spec.clusters)
        for k in e.clusterAssignments() { sizes[Int(k)] += 1 }
        let sorted = sizes.sorted()
        // Zipf 0.8 over 141 clusters; measured: largest 2,235 rows, median 73.
        XCTAssertGreaterThan(sorted.last!, 15 * sorted[sorted.count / 2])
        XCTAssertNotEqual(sizes.firstIndex(of: sorted.last!), 0, "cluster ids are shuffled ranks")
    }

    func testLargeNormItemsHoldManyInnerProductTopTens() throws {
        let n = 20_000
        let d = 32
        let e = try ClusteredEmbeddings(spec: ClusteredSpec(count: n, dimension: d, seed: 7))
        let data = e.generate()
        let queries = e.queries(count: 1000, seed: 8)
        let truth = GroundTruth.topK(queries: queries, data: data, dimension: d, k: 10, metric: .innerProduct)
        let norms = (0..<n).map { i in (0..<d).reduce(Float(0)) { $0 + data[i * d + $1] * data[i * d + $1] } }
        let threshold = norms.sorted(by: >)[n / 100 - 1]
        let entries = truth.joined()
        XCTAssertEqual(entries.count, 10_000)
        let share = Double(entries.filter { norms[Int($0)] >= threshold }.count) / Double(entries.count)
        // Measured 0.48 (seed 7); uniform norms would give about 0.01.
        XCTAssertGreaterThan(share, 0.3)
    }

    func testInvalidSpecIsRejected() {
        XCTAssertThrowsError(try ClusteredEmbeddings(spec: ClusteredSpec(count: 10, dimension: 0, seed: 1))) {
            XCTAssertEqual($0 as? TestSupportError, .invalidParameter(name: "dimension", value: "0", expected: "> 0"))
        }
        XCTAssertThrowsError(try DemoCatalog(spec: DemoCatalogSpec(items: 10, testFraction: 1))) {
            XCTAssertEqual($0 as? TestSupportError, .invalidParameter(name: "testFraction", value: "1.0", expected: "in [0, 1)"))
        }
    }

    // MARK: GroundTruth

    func testGroundTruthEqualsNaiveSortForEveryMetric() {
        var rng = SeededRandom(seed: 31)
        let d = 13
        let data = (0..<(500 * d)).map { _ in Float(rng.nextGaussian()) }
        let queries = (0..<(40 * d)).map { _ in Float(rng.nextGaussian()) }
        for metric in Metric.allCases {
            let (ids, scores) = GroundTruth.topKWithScores(queries: queries, data: data, dimension: d, k: 15, metric: metric)
            for q in 0..<40 {
                let naive = (0..<500).map { (id: $0, score: naiveScore(queries, q, data, $0, d, metric)) }
                    .sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
                    .prefix(15)
                XCTAssertEqual(ids[q], naive.map { UInt32($0.id) }, "\(metric) query \(q)")
                for (s, n) in zip(scores[q], naive) { XCTAssertEqual(Double(s), n.score, accuracy: 1e-4 * max(1, abs(n.score))) }
            }
        }
    }

    func testGroundTruthBreaksTiesByLowerRowAndCapsK() {
        // Rows 1, 3 and 4 tie exactly (integer values are exact in Float).
        let data: [Float] = [1, 0, 2, 0, 0, 5, 2, 0, 2, 0]
        let ids = GroundTruth.topK(queries: [1, 0], data: data, dimension: 2, k: 10, metric: .innerProduct)
        XCTAssertEqual(ids, [[1, 3, 4, 0, 2]])
        XCTAssertEqual(GroundTruth.topK(queries: [2, 0], data: data, dimension: 2, k: 2, metric: .l2), [[1, 3]])
    }

    func testRecall() {
        let truth: [[UInt32]] = [[1, 2, 3, 4], [5, 6, 7, 8]]
        XCTAssertEqual(GroundTruth.recall(at: 4, found: truth, truth: truth), 1)
        XCTAssertEqual(GroundTruth.recall(at: 4, found: [[4, 3, 9, 9], [0, 0, 0, 8]], truth: truth), 3.0 / 8)
        XCTAssertEqual(GroundTruth.recall(at: 2, found: [[2, 1, 3], [7, 8]], truth: truth), 2.0 / 4)
    }

    // MARK: DemoCatalog

    private static let smallSpec = DemoCatalogSpec(items: 3000, users: 300, dimension: 16, categories: 10,
                                                   historyMean: 20, seed: 77)

    func testDemoCatalogIsReproducible() throws {
        let a = try DemoCatalog(spec: Self.smallSpec)
        let b = try DemoCatalog(spec: Self.smallSpec)
        XCTAssert(bytes(a.itemVectors) == bytes(b.itemVectors))
        XCTAssert(bytes(a.userVectors) == bytes(b.userVectors))
        XCTAssertEqual(a.train, b.train)
        XCTAssertEqual(a.test, b.test)
        XCTAssertEqual(a.itemCategories, b.itemCategories)
        XCTAssertEqual(a.itemPrice, b.itemPrice)
        XCTAssertEqual((0..<300).map(a.userFeatureLine), (0..<300).map(b.userFeatureLine))
        var other = Self.smallSpec
        other.seed = 78
        let c = try DemoCatalog(spec: other)
        XCTAssert(bytes(a.itemVectors) != bytes(c.itemVectors))
        XCTAssertNotEqual(a.train, c.train)
    }

    func testDemoHistoriesAreOrderedSplitByTimeAndValid() throws {
        let catalog = try DemoCatalog(spec: Self.smallSpec)
        var byUser = [[DemoCatalog.Interaction]](repeating: [], count: 300)
        var testByUser = [[DemoCatalog.Interaction]](repeating: [], count: 300)
        for e in catalog.train { byUser[Int(e.user)].append(e) }
        for e in catalog.test { testByUser[Int(e.user)].append(e) }
        XCTAssertEqual(catalog.train.map(\.user), catalog.train.map(\.user).sorted())
        let historyEnd = Self.smallSpec.epochBase + Int64(Self.smallSpec.releaseDays) * 86_400
        var total = 0
        var inTaste = 0
        for u in 0..<300 {
            let all = byUser[u] + testByUser[u]
            XCTAssertGreaterThanOrEqual(all.count, 3)
            total += all.count
            XCTAssert(zip(all, all.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp }, "user \(u) not in time order")
            XCTAssertEqual(testByUser[u].count, Int((Double(all.count) * 0.2).rounded()), "user \(u)")
            XCTAssertEqual(Set(all.map(\.item)).count, all.count, "user \(u) has a repeated item")
            for e in all {
                XCTAssert((0..<3000).contains(Int(e.item)))
                XCTAssertLessThanOrEqual(catalog.itemReleased[Int(e.item)], e.timestamp)
                XCTAssertLessThanOrEqual(e.timestamp, historyEnd + Int64(all.count))
                if catalog.userTasteClusters[u].contains(Int(catalog.itemClusters[Int(e.item)])) { inTaste += 1 }
            }
        }
        XCTAssertEqual(Double(total) / 300, 20, accuracy: 4)
        // Measured 0.53; the taste clusters hold only a few percent of the items.
        XCTAssertGreaterThan(Double(inTaste) / Double(total), 0.4, "histories follow the users' tastes")
    }

    func testDemoItemsHaveConsistentCategoriesAndPopularity() throws {
        let catalog = try DemoCatalog(spec: Self.smallSpec)
        var primaryOfCluster: [UInt32: Int] = [:]
        for i in 0..<3000 {
            let cats = catalog.itemCategories[i]
            XCTAssert((1...3).contains(cats.count))
            XCTAssertEqual(Set(cats).count, cats.count)
            XCTAssert(cats.allSatisfy { (0..<10).contains($0) })
            let k = catalog.itemClusters[i]
            XCTAssertEqual(primaryOfCluster[k, default: cats[0]], cats[0], "primary category is a function of the cluster")
            primaryOfCluster[k] = cats[0]
            XCTAssert((0...1).contains(catalog.itemPopularity[i]))
            XCTAssert(catalog.itemPrice[i] > 0)
        }
        XCTAssertEqual(Set(primaryOfCluster.values).count, 10, "every category is used")
        XCTAssertEqual(catalog.itemPopularityRank.sorted(), Array(0..<3000))
        // Popularity rises with the norm: the top tenth by popularity has a larger mean squared
        // norm than the rest (measured ratio 3.6).
        let d = 16
        let norms = (0..<3000).map { i in (0..<d).reduce(Float(0)) { $0 + catalog.itemVectors[i * d + $1] * catalog.itemVectors[i * d + $1] } }
        let popular = (0..<3000).filter { catalog.itemPopularityRank[$0] < 300 }.map { Double(norms[$0]) }
        let rest = (0..<3000).filter { catalog.itemPopularityRank[$0] >= 300 }.map { Double(norms[$0]) }
        XCTAssertGreaterThan(popular.reduce(0, +) / 300, 1.5 * rest.reduce(0, +) / 2700)
        XCTAssertEqual(DemoCatalog.itemID(5), .number(1_000_005))
        XCTAssertEqual(DemoCatalog.userID(5), .string("u5"))
    }

    func testDemoWriteProducesParsableFiles() throws {
        let catalog = try DemoCatalog(spec: Self.smallSpec)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try catalog.write(to: dir)
        for name in DemoCatalog.fileNames { XCTAssert(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), name) }

        let items = try readNpy(dir.appendingPathComponent("items.npy"))
        XCTAssertEqual(items.shape, "(3000, 16)")
        XCTAssert(items.data == bytes(catalog.itemVectors))
        let users = try readNpy(dir.appendingPathComponent("users.npy"))
        XCTAssertEqual(users.shape, "(300, 16)")
        XCTAssert(users.data == bytes(catalog.userVectors))

        XCTAssertEqual(try lines(dir, "item_ids.txt"), (0..<3000).map { String(1_000_000 + $0) })
        XCTAssertEqual(try lines(dir, "user_ids.txt"), (0..<300).map { "u\($0)" })

        let itemLines = try lines(dir, "item_features.jsonl")
        XCTAssertEqual(itemLines.count, 3000)
        let formatter = ISO8601DateFormatter()
        for (i, line) in itemLines.enumerated() {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
            XCTAssertEqual(object["id"] as? Int, 1_000_000 + i)
            let features = try XCTUnwrap(object["features"] as? [String: Any])
            XCTAssertEqual(features["category"] as? String, "c\(catalog.itemCategories[i][0])")
            XCTAssertEqual(features["categories"] as? [String], catalog.itemCategories[i].map { "c\($0)" })
            XCTAssertEqual(try XCTUnwrap(features["popularity"] as? Double), catalog.itemPopularity[i], accuracy: 5e-5)
            XCTAssertEqual(try XCTUnwrap(features["price"] as? Double), catalog.itemPrice[i], accuracy: 5e-3)
            let released = try XCTUnwrap(formatter.date(from: try XCTUnwrap(features["released"] as? String)))
            XCTAssertEqual(Int64(released.timeIntervalSince1970), catalog.itemReleased[i])
        }
        let userLines = try lines(dir, "user_features.jsonl")
        XCTAssertEqual(userLines.count, 300)
        for (u, line) in userLines.enumerated() {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
            XCTAssertEqual(object["id"] as? String, "u\(u)")
            let features = try XCTUnwrap(object["features"] as? [String: Any])
            XCTAssertEqual(features["segment"] as? String, "s\(catalog.userSegment[u])")
            XCTAssertEqual(try XCTUnwrap(features["activity"] as? Double), catalog.userActivity[u], accuracy: 5e-4)
        }
        let tsv = { (e: DemoCatalog.Interaction) in "u\(e.user)\t\(1_000_000 + Int(e.item))\t\(e.timestamp)" }
        XCTAssertEqual(try lines(dir, "histories.tsv"), catalog.train.map(tsv))
        XCTAssertEqual(try lines(dir, "test_interactions.tsv"), catalog.test.map(tsv))
    }

    // MARK: Writers and text helpers

    func testNpyHeaderIsPaddedForManyShapes() {
        for (rows, columns) in [(0, 1), (3, 4), (1_000_000, 128), (123_456_789, 4096)] {
            let header = NpyWriter.header(rows: rows, columns: columns)
            XCTAssertEqual(Array(header[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
            XCTAssertEqual(header.count % 64, 0)
            XCTAssertEqual(Int(header[8]) | Int(header[9]) << 8, header.count - 10)
            XCTAssertEqual(header.last, 0x0A)
            let text = String(decoding: header[10...], as: UTF8.self)
            XCTAssert(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"), text)
        }
    }

    func testNpyWriterRejectsWrongWidthAndCount() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        let writer = try NpyWriter(url: url, rows: 2, columns: 3)
        XCTAssertThrowsError(try writer.append([1, 2])) {
            XCTAssertEqual($0 as? TestSupportError, .dimensionMismatch(file: url.path, expected: 3, got: 2))
        }
        try writer.append([1, 2, 3])
        XCTAssertThrowsError(try [Float](repeating: 0, count: 6).withUnsafeBufferPointer { try writer.append(rows: $0) }) {
            XCTAssertEqual($0 as? TestSupportError, .rowCountMismatch(file: url.path, expected: 2, got: 3))
        }
        XCTAssertThrowsError(try writer.finish()) {
            XCTAssertEqual($0 as? TestSupportError, .rowCountMismatch(file: url.path, expected: 2, got: 1))
        }
        XCTAssertThrowsError(try NpyWriter(url: URL(fileURLWithPath: "/nonexistent-dir/x.npy"), rows: 1, columns: 1)) {
            guard case .writeFailed(let file, _)? = $0 as? TestSupportError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, "/nonexistent-dir/x.npy")
        }
    }

    func testFvecsAndIvecsRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vecs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let values: [Float] = (0..<15).map { Float($0) * 0.5 - 3 }
        let writer = try FvecsWriter(url: dir.appendingPathComponent("a.fvecs"), dimension: 5)
        try values.withUnsafeBufferPointer { try writer.append(rows: $0) }
        try writer.append([9, 8, 7, 6, 5])
        XCTAssertThrowsError(try writer.append([1])) {
            XCTAssertEqual($0 as? TestSupportError, .dimensionMismatch(file: dir.appendingPathComponent("a.fvecs").path, expected: 5, got: 1))
        }
        try writer.finish()
        XCTAssertEqual(writer.rowsWritten, 4)
        let data = try Data(contentsOf: dir.appendingPathComponent("a.fvecs"))
        XCTAssertEqual(data.count, 4 * (4 + 5 * 4))
        let all = values + [9, 8, 7, 6, 5]
        for row in 0..<4 {
            XCTAssertEqual(int32(data, at: row * 24), 5)
            for j in 0..<5 {
                XCTAssertEqual(Float(bitPattern: UInt32(bitPattern: int32(data, at: row * 24 + 4 + j * 4))), all[row * 5 + j])
            }
        }
        try FvecsWriter.writeIvecs([[3, 1], [], [7]], to: dir.appendingPathComponent("gt.ivecs"))
        let ivecs = try Data(contentsOf: dir.appendingPathComponent("gt.ivecs"))
        XCTAssertEqual((0..<(ivecs.count / 4)).map { int32(ivecs, at: $0 * 4) }, [2, 3, 1, 0, 1, 7])
    }

    func testJSONQuotingRoundTripsThroughJSONSerialization() throws {
        let texts = ["plain", "quote \" backslash \\ slash /", "tab\tnewline\nreturn\r", "\u{01}\u{1F}\u{7F}", "é 日本 🙂", "\u{2028}", ""]
        for text in texts {
            let parsed = try JSONSerialization.jsonObject(with: Data("[\(JSONText.quoted(text))]".utf8)) as? [String]
            XCTAssertEqual(parsed, [text])
        }
        XCTAssertEqual(JSONText.number(19.99), "19.99")
        XCTAssertEqual(JSONText.number(.nan), "null")
    }

    func testUTCTimestampMatchesFoundation() {
        XCTAssertEqual(UTCTimestamp.iso8601(1_700_000_000), "2023-11-14T22:13:20Z")
        XCTAssertEqual(UTCTimestamp.iso8601(951_782_400), "2000-02-29T00:00:00Z")
        XCTAssertEqual(UTCTimestamp.iso8601(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(UTCTimestamp.iso8601(-1), "1969-12-31T23:59:59Z")
        let formatter = ISO8601DateFormatter()
        var rng = SeededRandom(seed: 9)
        for _ in 0..<500 {
            let seconds = Int64(rng.next(below: 4_000_000_000))
            XCTAssertEqual(UTCTimestamp.iso8601(seconds), formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))))
        }
    }

    // MARK: Helpers

    private func bytes(_ values: [Float]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    private func naiveScore(_ q: [Float], _ qi: Int, _ x: [Float], _ xi: Int, _ d: Int, _ metric: Metric) -> Double {
        let a = (0..<d).map { Double(q[qi * d + $0]) }
        let b = (0..<d).map { Double(x[xi * d + $0]) }
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        switch metric {
        case .innerProduct: return dot
        case .cosine: return dot / (a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot())
        case .l2: return -zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
    }

    /// Checks the `.npy` preamble byte by byte; returns the shape text and the data bytes.
    private func readNpy(_ url: URL) throws -> (shape: String, data: [UInt8]) {
        let file = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(Array(file[0..<6]), [0x93] + Array("NUMPY".utf8))
        XCTAssertEqual(Array(file[6..<8]), [1, 0])
        let headerLength = Int(file[8]) | Int(file[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: file[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssert(header.hasSuffix("\n"))
        XCTAssert(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), header)
        let shapeStart = try XCTUnwrap(header.range(of: "'shape': "))
        let shapeEnd = try XCTUnwrap(header.range(of: ")", range: shapeStart.upperBound..<header.endIndex))
        return (String(header[shapeStart.upperBound..<shapeEnd.upperBound]), Array(file[(10 + headerLength)...]))
    }

    private func lines(_ dir: URL, _ name: String) throws -> [String] {
        let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        XCTAssert(text.isEmpty || text.hasSuffix("\n"))
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    private func int32(_ data: Data, at offset: Int) -> Int32 {
        Int32(littleEndian: data.subdata(in: offset..<(offset + 4)).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
    }
}
