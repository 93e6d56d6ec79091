import Foundation
import Store
import VectorMath
import XCTest
@testable import Ingest

final class ImporterTests: XCTestCase {
    var files: TestFiles!
    var storePath = ""

    override func setUpWithError() throws {
        files = try TestFiles()
        storePath = files.path("store")
    }

    override func tearDown() { files = nil }

    func store() throws -> EmbeddingStore { try EmbeddingStore(path: storePath, create: true) }

    func request(items: String? = nil, itemIDs: String? = nil, users: String? = nil, userIDs: String? = nil,
                 itemFeatures: String? = nil, userFeatures: String? = nil, histories: String? = nil,
                 metric: Metric? = nil) -> ImportRequest {
        var r = ImportRequest()
        r.items = items.map { VectorSource(path: $0, idsPath: itemIDs) }
        r.users = users.map { VectorSource(path: $0, idsPath: userIDs) }
        r.itemFeatures = itemFeatures
        r.userFeatures = userFeatures
        r.histories = histories
        r.metric = metric
        r.showProgress = false
        r.batchRows = 2  // several batches even for tiny files
        return r
    }

    /// A fingerprint of everything a failed import must leave untouched.
    func snapshot(_ s: EmbeddingStore) throws -> String {
        try s.read { r in
            let c = try r.counts()
            var text = "\(c)"
            for row in 0..<UInt32(c.items) {
                text += " \(try r.externalID(ofRow: row, .item))=\(try r.vector(ofRow: row, .item) ?? [])"
                text += " \(try r.features(row: row, .item).sorted { $0.key < $1.key })"
            }
            for row in 0..<UInt32(c.users) { text += " \(try r.externalID(ofRow: row, .user)):\(try r.history(ofUser: row))" }
            return text
        }
    }

    func npy(_ name: String, _ rows: [[Float]]) throws -> String {
        try files.writeNpy(name, descr: "<f4", shape: [rows.count, rows[0].count], data: f32Bytes(rows.flatMap { $0 }))
    }

    // MARK: formats

    func testEachVectorFormatRoundTripsThroughTheStore() throws {
        let rows: [[Float]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9.5]]
        let sources: [(String, String?)] = [
            (try npy("a.npy", rows), try files.write("a.ids", text: "10\n11\nsku-12\n")),
            (try files.writeFvecs("b.fvecs", rows: rows), try files.write("b.ids", text: "10\n11\nsku-12\n")),
            (try files.write("c.tsv", text: "10\t1 2 3\n11\t4 5 6\nsku-12\t7 8 9.5\n"), nil),
            (try files.write("d.csv", text: "id,a,b,c\n10,1,2,3\n11,4,5,6\nsku-12,7,8,9.5\n"), nil),
            (try files.write("e.jsonl", text: """
            {"id": 10, "vector": [1, 2, 3]}
            {"id": 11, "vector": [4, 5, 6], "features": {"color": "red"}}
            {"id": "sku-12", "vector": [7, 8, 9.5]}

            """), nil),
        ]
        for (i, (path, ids)) in sources.enumerated() {
            storePath = files.path("store-\(i)")
            let report = try Importer(store: try store()).run(request(items: path, itemIDs: ids, metric: .l2))
            XCTAssertEqual(report.files.first?.rows, 3, path)
            try store().read { r in
                XCTAssertEqual(try r.meta().dimension, 3)
                XCTAssertEqual(try r.meta().metric, .l2)
                for (k, id) in [ExternalID.number(10), .number(11), .string("sku-12")].enumerated() {
                    let row = try r.requireRow(of: id, .item)
                    XCTAssertEqual(try r.vector(ofRow: row, .item), rows[k], "\(path) \(id)")
                }
            }
        }
        storePath = files.path("store-4")
        try store().read { r in XCTAssertEqual(try r.features(row: 1, .item), ["color": .categorical("red")]) }
    }

    func testOneCallImportsEverythingAndUpsertsById() throws {
        let items = try npy("items.npy", [[1, 0], [0, 1], [1, 1]])
        let users = try npy("users.npy", [[1, 0]])
        let userIDs = try files.write("users.txt", text: "alice\n")
        let features = try files.write("f.csv", text: "id,category:cat,price\n0,shoes,10\n2,hats,3.5\n")
        let userFeatures = try files.write("uf.jsonl", text: "{\"id\": \"bob\", \"features\": {\"segment\": \"new\"}}\n")
        let histories = try files.write("h.tsv", text: "alice\t0\t100\nbob\t2\t200\nalice\t1\t50\n")
        let s = try store()
        let report = try Importer(store: s).run(request(items: items, users: users, userIDs: userIDs, itemFeatures: features,
                                                         userFeatures: userFeatures, histories: histories))
        XCTAssertEqual(report.counts.items, 3)
        XCTAssertEqual(report.counts.users, 2, "bob exists through his features only")
        XCTAssertEqual(report.counts.userVectors, 1)
        try s.read { r in
            XCTAssertEqual(try r.meta().metric, .innerProduct, "default metric")
            XCTAssertEqual(try r.features(row: 2, .item), ["category": .categorical("hats"), "price": .numeric(3.5)])
            let alice = try r.requireRow(of: .string("alice"), .user)
            XCTAssertEqual(try r.history(ofUser: alice), [HistoryEntry(item: 1, timestamp: 50), HistoryEntry(item: 0, timestamp: 100)])
            XCTAssertEqual(try r.features(row: try r.requireRow(of: .string("bob"), .user), .user), ["segment": .categorical("new")])
        }
        // Upsert: the same ids again change vectors, not counts.
        let again = try npy("items2.npy", [[5, 5]])
        _ = try Importer(store: s).run(request(items: again, itemIDs: try files.write("i2.txt", text: "1\n")))
        try s.read { r in
            XCTAssertEqual(try r.counts().items, 3)
            XCTAssertEqual(try r.vector(ofRow: 1, .item), [5, 5])
        }
    }

    /// `--feature-kind` applies to the features inside a vectors `.jsonl` file as it does to a
    /// features file (it was ignored there: `7` became a number).
    func testDeclaredKindsApplyToFeaturesInVectorsJSONL() throws {
        let items = try files.write("items.jsonl", text: "{\"id\": \"a\", \"vector\": [1, 0], \"features\": {\"zone\": 7, \"price\": 2}}\n")
        var r = request(items: items)
        r.featureKinds = ["zone": .categorical]
        let s = try store()
        _ = try Importer(store: s).run(r)
        try s.read { reader in
            XCTAssertEqual(try reader.features(row: 0, .item), ["zone": .categorical("7"), "price": .numeric(2)])
        }
    }

    /// User vectors alone do not choose an empty store's metric (the server's upsert refuses the
    /// same): the import names `--metric`, writes nothing, and goes through once it is given.
    func testUserVectorsAloneNeedTheMetricOfAnEmptyStore() throws {
        let users = try npy("users.npy", [[1, 0], [0, 1]])
        try assertRejected(request(users: users), .metricNeeded(file: users))
        let s = try store()
        _ = try Importer(store: s).run(request(users: users, metric: .cosine))
        try s.read { r in
            XCTAssertEqual(try r.meta().metric, .cosine)
            XCTAssertEqual(try r.counts().userVectors, 2)
        }
        // A store that has its metric takes user vectors without one.
        _ = try Importer(store: s).run(request(users: try npy("u2.npy", [[3, 4]]), userIDs: try files.write("u2.txt", text: "x\n")))
        try s.read { r in XCTAssertEqual(try r.counts().userVectors, 3) }
    }

    // MARK: bad input leaves the store as it was

    func assertRejected(_ r: ImportRequest, _ expected: IngestError, file: StaticString = #filePath, line: UInt = #line) throws {
        let s = try store()
        let before = try snapshot(s)
        assertThrows(expected, file: file, line: line) { try Importer(store: s).run(r) }
        XCTAssertEqual(try snapshot(s), before, "store unchanged", file: file, line: line)
    }

    /// `beforeCommit` sees the item rows the import wrote (new and changed, not users'), inside
    /// the transaction: what it writes commits with the import, and its error undoes it all.
    func testBeforeCommitSeesTheWrittenItemRowsAndItsErrorUndoesTheImport() throws {
        let s = try store()
        _ = try Importer(store: s).run(request(items: try npy("a.npy", [[1, 0], [0, 1]]), itemIDs: try files.write("a.txt", text: "a\nb\n")))
        let update = request(items: try npy("b.npy", [[2, 2], [3, 3]]), itemIDs: try files.write("b.txt", text: "b\nc\n"),
                             users: try npy("u.npy", [[1, 1]]))
        let before = try snapshot(s)
        struct Refused: Error {}
        XCTAssertThrowsError(try Importer(store: s).run(update) { _, _ in throw Refused() }) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(try snapshot(s), before, "store unchanged")
        var seen: [UInt32] = []
        _ = try Importer(store: s).run(update) { writer, rows in
            seen = rows
            XCTAssertEqual(writer.counts.items, 3, "called inside the transaction, after the writes")
        }
        XCTAssertEqual(seen, [1, 2])
        var called = false
        _ = try Importer(store: s).run(request(users: try npy("u2.npy", [[2, 2]]))) { _, _ in called = true }
        XCTAssertFalse(called, "no item vector written")
    }

    func testEveryBadInputIsNamedAndWritesNothing() throws {
        let base = try npy("base.npy", [[1, 1, 1], [2, 2, 2]])
        _ = try Importer(store: try store()).run(request(items: base, itemFeatures: try files.write("bf.csv", text: "id,price\n0,1\n")))

        let wrongDim = try files.write("dim.tsv", text: "5\t1 2 3\n6\t1 2 3\n7\t1 2\n")
        try assertRejected(request(items: wrongDim), .dimensionMismatch(file: wrongDim, location: .line(3), expected: 3, got: 2))

        let nan = try files.writeNpy("nan.npy", descr: "<f4", shape: [3, 3], data: f32Bytes([1, 2, 3, 4, 5, 6, 7, .nan, 9]))
        try assertRejected(request(items: nan, itemIDs: try files.write("nan.txt", text: "5\n6\n7\n")),
                           .nonFinite(file: nan, location: .row(2), column: 1))

        let long = try npy("long.npy", [[1, 2, 3], [0, 1e19, 0], [7, 8, 9]])
        try assertRejected(request(items: long, itemIDs: try files.write("long.txt", text: "5\n6\n7\n")),
                           .rejected(file: long, location: .row(1), reason: .vectorTooLong(.item, .number(6), squaredNorm: Float(1e19) * Float(1e19))))
        XCTAssertEqual(IngestError.rejected(file: "v.npy", location: .row(1), reason: .vectorTooLong(.item, .number(6), squaredNorm: .infinity)).description,
                       "v.npy, row 1: item '6': squared norm inf exceeds 8.5070587e+37 (scores with it would overflow float32; scale the vectors down)")

        let dup = try npy("dup.npy", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        let dupIDs = try files.write("dup.txt", text: "5\n6\n5\n")
        try assertRejected(request(items: dup, itemIDs: dupIDs), .duplicateID(file: dupIDs, location: .line(3), id: .number(5), first: .line(1)))
        let dupTSV = try files.write("dup.tsv", text: "5\t1 2 3\n6\t1 2 3\n5\t1 2 3\n")
        try assertRejected(request(items: dupTSV), .duplicateID(file: dupTSV, location: .line(3), id: .number(5), first: .line(1)))
        let dupJSONL = try files.write("dup.jsonl", text: "{\"id\": \"a\", \"vector\": [1, 2, 3]}\n{\"id\": \"b\", \"vector\": [1, 2, 3]}\n"
                                       + "{\"id\": \"c\", \"vector\": [1, 2, 3]}\n{\"id\": \"b\", \"vector\": [1, 2, 3]}\n")
        try assertRejected(request(items: dupJSONL), .duplicateID(file: dupJSONL, location: .line(4), id: .string("b"), first: .line(2)))

        let unknown = try files.write("vectors.bin", text: "x")
        XCTAssertThrowsError(try Importer(store: try store()).run(request(items: unknown))) { error in
            guard case .unknownFormat(let file, _)? = error as? IngestError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, unknown)
        }

        let truncated = try files.writeNpy("trunc.npy", descr: "<f4", shape: [3, 3], data: f32Bytes([1, 2, 3, 4, 5, 6, 7]))
        XCTAssertThrowsError(try Importer(store: try store()).run(request(items: truncated))) { error in
            guard case .truncatedRows(let file, _, _, _, _)? = error as? IngestError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, truncated)
        }

        let badID = try npy("badid.npy", [[1, 2, 3], [4, 5, 6]])
        let badIDs = try files.write("badid.txt", text: "9\n-4\n")
        try assertRejected(request(items: badID, itemIDs: badIDs), .invalidID(file: badIDs, location: .line(2), reason: .negativeOrSigned("-4")))

        let otherDim = try npy("d4.npy", [[1, 2, 3, 4]])
        try assertRejected(request(items: otherDim), .dimensionMismatch(file: otherDim, location: .row(0), expected: 3, got: 4))

        let metric = try npy("m.npy", [[1, 2, 3]])
        try assertRejected(request(items: metric, metric: .cosine),
                           .rejected(file: metric, location: nil, reason: .metricMismatch(expected: .innerProduct, got: .cosine)))

        // A good file and a bad one in the same call: neither lands.
        let good = try npy("good.npy", [[9, 9, 9]])
        let goodIDs = try files.write("good.txt", text: "77\n")
        let badHistory = try files.write("h.tsv", text: "u1\t0\t1\nu1\t404\t2\n")
        try assertRejected(request(items: good, itemIDs: goodIDs, histories: badHistory),
                           .unknownID(file: badHistory, location: .line(2), entity: .item, id: .number(404)))

        let kinds = try files.write("kinds.jsonl", text: "{\"id\": 1, \"price\": \"cheap\"}\n")
        try assertRejected(request(itemFeatures: kinds),
                           .rejected(file: kinds, location: .line(1),
                                     reason: .featureKindMismatch(.item, column: "price", expected: .numeric, got: .categorical)))
    }

    /// A repeated id of an ids file is that file's fault: the error names it, the repeat's line
    /// and the line that had the id first, not the vectors file (whose lines or rows differ).
    func testDuplicateInIDsFileNamesTheIDsFileAndBothLines() throws {
        let v = try npy("v.npy", [[1, 2], [3, 4], [5, 6], [7, 8]])
        let ids = try files.write("ids.txt", text: "5\n6\n7\n5\n")
        let expected = IngestError.duplicateID(file: ids, location: .line(4), id: .number(5), first: .line(1))
        try assertRejected(request(items: v, itemIDs: ids), expected)
        try assertRejected(request(users: v, userIDs: ids, metric: .innerProduct), expected)
        let tsv = try files.write("v.tsv", text: "1 2\n\n3 4\n5 6\n7 8\n")
        try assertRejected(request(items: tsv, itemIDs: ids), expected)
        let npyIDs = try files.writeNpy("ids.npy", descr: "<i8", shape: [4], data: [5, 6, 7, 6].flatMap { le(Int64($0)) })
        try assertRejected(request(items: v, itemIDs: npyIDs), .duplicateID(file: npyIDs, location: .row(3), id: .number(6), first: .row(1)))
        XCTAssertEqual(expected.description, "\(ids), line 4: id '5' appears a second time in this file (first at line 1)")
    }

    /// ` 42` in a TSV or ids file is the item 42 that a history or features file names as `42`.
    func testSpacesAroundTextIDsStillMatch() throws {
        let items = try files.write("items.tsv", text: " 42\t1 2\n43 \t3 4\n")
        let histories = try files.write("h.tsv", text: "u1\t42\nu1\t43\n")
        let features = try files.write("f.csv", text: "id,c\n42,x\n 43 ,y\n")
        let s = try store()
        _ = try Importer(store: s).run(request(items: items, itemFeatures: features, histories: histories))
        let users = try npy("u.npy", [[1, 0], [0, 1]])
        _ = try Importer(store: s).run(request(users: users, userIDs: try files.write("u.txt", text: "u1 \n u2\n"), histories: histories))
        try s.read { r in
            XCTAssertEqual(try r.counts().items, 2)
            XCTAssertEqual(try r.counts().users, 2, "'u1 ' is the user u1 of the histories")
            XCTAssertEqual(try r.features(row: try r.requireRow(of: .number(43), .item), .item), ["c": .categorical("y")])
        }
    }

    func testAFailedFirstImportLeavesAnEmptyStore() throws {
        let bad = try files.write("bad.tsv", text: "1\t1 2\n2\t1 nope\n")
        let s = try store()
        XCTAssertThrowsError(try Importer(store: s).run(request(items: bad)))
        XCTAssertNil(try s.meta(), "not even the dimension was fixed")
    }
}
