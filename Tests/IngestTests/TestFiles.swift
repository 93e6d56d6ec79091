import Foundation
import XCTest
import Store
@testable import Ingest

/// Temporary files written by hand in the formats under test.
final class TestFiles {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("IngestTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    /// A `.npy` file: header dict for `descr`, `shape`, `fortran`, padded to 64 bytes, then `data`.
    @discardableResult
    func writeNpy(_ name: String, descr: String, shape: [Int], fortran: Bool = false, version: UInt8 = 1,
                  data: [UInt8]) throws -> String {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        let prefix = version == 1 ? 10 : 12
        while (prefix + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let n = dict.utf8.count
        if version == 1 {
            bytes += [UInt8(n & 0xFF), UInt8(n >> 8)]
        } else {
            bytes += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
        }
        bytes += Array(dict.utf8) + data
        return try write(name, bytes: bytes)
    }

    /// An `.fvecs` file; `dimensions` overrides the per-row dimension field.
    @discardableResult
    func writeFvecs(_ name: String, rows: [[Float]], dimensions: [Int32]? = nil) throws -> String {
        var bytes: [UInt8] = []
        for (k, row) in rows.enumerated() {
            bytes += le(dimensions?[k] ?? Int32(row.count))
            for v in row { bytes += le(v.bitPattern) }
        }
        return try write(name, bytes: bytes)
    }
}

func fileSize(_ path: String) throws -> Int64 {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).int64Value
}

func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

func f32Bytes(_ values: [Float]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }
func f16Bytes(_ values: [Float]) -> [UInt8] { values.flatMap { le(Float16($0).bitPattern) } }
func f64Bytes(_ values: [Double]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }

/// Everything a vector reader yields, batch by batch.
struct ReadResult {
    var ids: [ExternalID] = []
    var vectors: [Float] = []
    var locations: [SourceLocation] = []
    var features: [FeatureRecord] = []
    var batchSizes: [Int] = []
    var dimension = 0
}

func readAll(_ path: String, idsPath: String? = nil, format: VectorFormat? = nil, expectedDimension: Int? = nil,
             declaredKinds: [String: FeatureKind] = [:], maxRows: Int = 1000, idColumnOptional: Bool = false) throws -> ReadResult {
    var reader = try openVectorReader(path: path, idsPath: idsPath, format: format,
                                      expectedDimension: expectedDimension, declaredKinds: declaredKinds,
                                      idColumnOptional: idColumnOptional)
    var batch = VectorBatch()
    var result = ReadResult()
    while try reader.next(into: &batch, maxRows: maxRows) {
        XCTAssertEqual(batch.vectors.count, batch.count * batch.dimension)
        XCTAssertEqual(batch.locations.count, batch.count)
        result.ids += batch.ids
        result.vectors += batch.vectors
        result.locations += batch.locations
        result.features += batch.features ?? []
        result.batchSizes.append(batch.count)
        result.dimension = batch.dimension
    }
    XCTAssertEqual(batch.count, 0)
    if !result.batchSizes.isEmpty { XCTAssertEqual(reader.dimension, result.dimension) }
    result.dimension = reader.dimension
    XCTAssertEqual(reader.bytesRead, reader.totalBytes)
    return result
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(_ expected: IngestError, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), got no error", file: file, line: line)
    } catch let error as IngestError {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}
