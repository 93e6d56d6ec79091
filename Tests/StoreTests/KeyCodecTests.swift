import Store
import XCTest

final class KeyCodecTests: XCTestCase {
    func testExternalIDParsingRules() {
        XCTAssertEqual(try ExternalID.parse("0").get(), .number(0))
        XCTAssertEqual(try ExternalID.parse("18446744073709551615").get(), .number(UInt64.max))
        XCTAssertEqual(try ExternalID.parse("007").get(), .string("007"))
        XCTAssertEqual(try ExternalID.parse("sku-12 blue").get(), .string("sku-12 blue"))
        XCTAssertEqual(ExternalID.parse(""), .failure(.empty))
        XCTAssertEqual(ExternalID.parse("-5"), .failure(.negativeOrSigned("-5")))
        XCTAssertEqual(ExternalID.parse("18446744073709551616"), .failure(.overflow("18446744073709551616")))
        XCTAssertEqual(ExternalID.parse("a\tb"), .failure(.controlCharacter("a\tb")))
        XCTAssertEqual(ExternalID.parse(String(repeating: "x", count: 256)), .failure(.tooLong(bytes: 256)))
    }

    func testExternalKeyRoundTripAndOrder() {
        let ids: [ExternalID] = [.number(0), .number(1), .number(255), .number(256), .number(UInt64.max),
                                 .string("a"), .string("ab"), .string("b"), .string("é")]
        let keys = ids.map(KeyCodec.externalKey)
        for (id, key) in zip(ids, keys) {
            XCTAssertEqual(key.withUnsafeBytes { KeyCodec.decodeExternalKey($0) }, id)
        }
        // Numbers in numeric order, then strings in byte order: LMDB's order is the ids' order.
        for i in 1..<keys.count { XCTAssertTrue(keys[i - 1].lexicographicallyPrecedes(keys[i]), "\(ids[i - 1]) < \(ids[i])") }
        XCTAssertNil([UInt8]([9, 1]).withUnsafeBytes { KeyCodec.decodeExternalKey($0) })
        XCTAssertNil([UInt8]([1, 1, 2]).withUnsafeBytes { KeyCodec.decodeExternalKey($0) })
    }

    func testRowKeyRoundTripAndOrder() {
        let rows: [UInt32] = [0, 1, 255, 256, 65_535, 65_536, UInt32.max]
        let keys = rows.map(KeyCodec.rowKey)
        for (row, key) in zip(rows, keys) { XCTAssertEqual(key.withUnsafeBytes { KeyCodec.decodeRowKey($0) }, row) }
        for i in 1..<keys.count { XCTAssertTrue(keys[i - 1].lexicographicallyPrecedes(keys[i])) }
    }

    func testColumnAndLabelKeysRoundTrip() {
        let key = KeyCodec.columnKey(.user, name: "segment")
        XCTAssertEqual(key.withUnsafeBytes { KeyCodec.decodeColumnKey($0) }?.1, "segment")
        XCTAssertEqual(key.withUnsafeBytes { KeyCodec.decodeColumnKey($0) }?.0, .user)
        let nameKey = KeyCodec.labelNameKey(.item, column: 513, code: 70_000)
        let decoded = nameKey.withUnsafeBytes { KeyCodec.decodeLabelNameKey($0) }
        XCTAssertEqual(decoded?.0, .item)
        XCTAssertEqual(decoded?.1, 513)
        XCTAssertEqual(decoded?.2, 70_000)
        let a = KeyCodec.labelNameKey(.item, column: 1, code: 255)
        let b = KeyCodec.labelNameKey(.item, column: 1, code: 256)
        XCTAssertTrue(a.lexicographicallyPrecedes(b))
    }

    func testFeatureRecordRoundTrip() {
        let values: [(column: UInt16, value: StoredFeature)] = [
            (3, .numeric(-12.25)), (0, .categorical(7)), (1, .multiCategorical([1, 2, 70_000])),
            (2, .timestamp(1_700_000_000)), (4, .multiCategorical([])),
        ]
        let bytes = FeatureRecordCodec.encode(values)
        let decoded = bytes.withUnsafeBytes { FeatureRecordCodec.decode($0) }
        XCTAssertEqual(decoded?.map(\.column), [0, 1, 2, 3, 4])
        XCTAssertEqual(decoded?.map(\.value), [.categorical(7), .multiCategorical([1, 2, 70_000]), .timestamp(1_700_000_000),
                                               .numeric(-12.25), .multiCategorical([])])
        XCTAssertNil(Array(bytes.dropLast()).withUnsafeBytes { FeatureRecordCodec.decode($0) }, "truncated record")
        XCTAssertNil((bytes + [0]).withUnsafeBytes { FeatureRecordCodec.decode($0) }, "trailing bytes")
    }
}
